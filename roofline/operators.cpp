#include "roofline/operators.hpp"

#include <stdexcept>

namespace roofline {
namespace {

const std::vector<OpInfo> kOps = {
    {Op::kQProj, "q_proj", "qkv mlp"},
    {Op::kKProj, "k_proj", "qkv mlp"},
    {Op::kVProj, "v_proj", "qkv mlp"},
    {Op::kOProj, "o_proj", "qkv mlp"},
    {Op::kGateProj, "gate_proj", "up/gate/down"},
    {Op::kUpProj, "up_proj", "up/gate/down"},
    {Op::kDownProj, "down_proj", "up/gate/down"},
    {Op::kQk, "qk", "qk/pv"},
    {Op::kPv, "pv", "qk/pv"},
};

// A dense row-major matrix, one of `count` (for a weight, count = 1 and every batch entry shares it).
Operand dense(std::int64_t rows, std::int64_t cols) { return Operand{rows, cols, cols, 0, 0, 1, 1}; }

// A linear layer Y[M x N] = X[M x K] * W[N x K]^T with M = b*s (prefill), b (decode: one token per sequence) or b*q
// (medusa: q candidates per sequence).
GemmProblem linear(std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype) {
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.b_layout = BLayout::kNT;
  p.dtype = dtype;
  p.a = dense(m, k);
  p.b = dense(n, k);
  p.c = dense(m, n);
  return p;
}

// A per-(batch, head) slice of a [b, rows, heads_in_tensor, d] tensor: rows x d with ld = heads_in_tensor * d.
// With group > 1 (the K/V of grouped-query attention), `group` query heads share one slice, which is counted once.
Operand head_slice(std::int64_t rows, std::int64_t d, std::int64_t heads_in_tensor, std::int64_t group,
                   std::int64_t batch) {
  return Operand{rows, d, heads_in_tensor * d, rows * heads_in_tensor * d, d, group, batch * heads_in_tensor};
}

// A per-(batch, head) block of the scores P [b, n, s_q, s_kv]: s_q x s_kv, contiguous.
Operand score_block(std::int64_t s_q, std::int64_t s_kv, std::int64_t heads, std::int64_t batch) {
  return Operand{s_q, s_kv, s_kv, heads * s_q * s_kv, s_q * s_kv, 1, batch * heads};
}

// qk: P = Q * K^T per (batch, head); pv: O = P * V. `s_q` is s (prefill), 1 (decode) or q (medusa), `s_kv` is s.
GemmProblem attention(const ModelConfig& model, Op op, std::int64_t b, std::int64_t s_q, std::int64_t s_kv,
                      Dtype dtype) {
  const std::int64_t n = model.heads;
  const std::int64_t kv = model.kv_heads;
  const std::int64_t d = model.head_dim;
  const std::int64_t group = n / kv;
  GemmProblem p;
  p.batch = b;
  p.heads = n;
  p.dtype = dtype;
  if (op == Op::kQk) {
    p.m = s_q;
    p.n = s_kv;
    p.k = d;
    p.b_layout = BLayout::kNT;
    p.a = head_slice(s_q, d, n, 1, b);        // Q  [b, s_q, n, d]
    p.b = head_slice(s_kv, d, kv, group, b);  // K  [b, s_kv, kv, d]
    p.c = score_block(s_q, s_kv, n, b);       // P  [b, n, s_q, s_kv]
  } else {
    p.m = s_q;
    p.n = d;
    p.k = s_kv;
    p.b_layout = BLayout::kNN;
    p.a = score_block(s_q, s_kv, n, b);       // P  [b, n, s_q, s_kv]
    p.b = head_slice(s_kv, d, kv, group, b);  // V  [b, s_kv, kv, d]
    p.c = head_slice(s_q, d, n, 1, b);        // O  [b, s_q, n, d]
  }
  return p;
}

}  // namespace

const std::vector<OpInfo>& all_ops() { return kOps; }

const OpInfo& op_info(Op op) {
  for (const auto& info : kOps) {
    if (info.op == op) return info;
  }
  throw std::logic_error("op_info: operator missing from the catalogue");
}

bool parse_op(const std::string& text, Op* out) {
  for (const auto& info : kOps) {
    if (text == info.name) {
      *out = info.op;
      return true;
    }
  }
  return false;
}

std::string op_names() {
  std::string names;
  for (const auto& info : kOps) names += (names.empty() ? "" : ", ") + std::string(info.name);
  return names;
}

std::int64_t decode_tokens(const Setting& setting) {
  switch (setting.phase) {
    case Phase::kInit:
      return 0;
    case Phase::kAr:
      return 1;
    case Phase::kMedusa:
      return setting.candidates;
  }
  throw std::logic_error("decode_tokens: unknown phase");
}

GemmProblem make_problem(const ModelConfig& model, Op op, const Setting& setting, Dtype dtype) {
  const std::int64_t b = setting.batch;
  const std::int64_t s = setting.seq_len;
  const bool prefill = setting.phase == Phase::kInit;
  const std::int64_t queries = prefill ? s : decode_tokens(setting);  // query rows per sequence
  const std::int64_t tokens = checked_product({b, queries});          // rows of every linear
  switch (op) {
    case Op::kQProj:
      return linear(tokens, model.q_width(), model.hidden, dtype);
    case Op::kKProj:
    case Op::kVProj:
      return linear(tokens, model.kv_width(), model.hidden, dtype);
    case Op::kOProj:
      return linear(tokens, model.hidden, model.q_width(), dtype);
    case Op::kGateProj:
    case Op::kUpProj:
      return linear(tokens, model.intermediate, model.hidden, dtype);
    case Op::kDownProj:
      return linear(tokens, model.hidden, model.intermediate, dtype);
    case Op::kQk:
    case Op::kPv:
      return attention(model, op, b, queries, s, dtype);
  }
  throw std::logic_error("make_problem: unknown operator");
}

Cost cost_of(const GemmProblem& p) {
  Cost cost;
  cost.flops = checked_product({2, p.m, p.n, p.k, p.batch, p.heads});
  cost.bytes_min =
      checked_product({dtype_bytes(p.dtype), checked_sum({p.a.elements(), p.b.elements(), p.c.elements()})});
  return cost;
}

std::int64_t buffer_bytes(const GemmProblem& p) {
  return checked_product(
      {dtype_bytes(p.dtype), checked_sum({p.a.buffer_elements(p.batch, p.heads), p.b.buffer_elements(p.batch, p.heads),
                                          p.c.buffer_elements(p.batch, p.heads)})});
}

}  // namespace roofline

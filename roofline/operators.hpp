// The operator catalogue: each operator of a transformer layer, its series in the reference figure, the GEMM
// problem it is at a (phase, batch, seq_len) setting, and its cost (the paper's accounting, DESIGN.md section 2).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "roofline/model_config.hpp"
#include "roofline/problem.hpp"

namespace roofline {

enum class Op { kQProj, kKProj, kVProj, kOProj, kGateProj, kUpProj, kDownProj, kQk, kPv };

struct OpInfo {
  Op op;
  const char* name;    // q_proj, ...
  const char* series;  // "qkv mlp", "up/gate/down" or "qk/pv" (the figure's legend, without the phase)
};

// Every operator, in layer order.
const std::vector<OpInfo>& all_ops();
const OpInfo& op_info(Op op);
bool parse_op(const std::string& text, Op* out);
std::string op_names();  // "q_proj, k_proj, ..." for messages

// The series name used for measured ceilings (not an operator).
inline constexpr const char* kCeilingSeries = "ceiling";

// One setting of the sweep: phase, batch b, sequence length s (prefill length, or decode context length) and, for
// the medusa phase, the candidate tokens q verified per sequence in one step.
struct Setting {
  Phase phase;
  std::int64_t batch;
  std::int64_t seq_len;
  std::int64_t candidates = 1;  // q; only the medusa phase reads it (ar is the step with q = 1)
};

// The query tokens per sequence a decoding step processes: q for medusa, 1 for ar; 0 for init (not a decode step).
std::int64_t decode_tokens(const Setting& setting);

// The GEMM that operator `op` is at setting `setting`, in the layouts of DESIGN.md section 2:
// activations X [M x K], weights W [N x K]; Q, K, V, O as [b, s, n, d]; scores P as [b, n, s_q, s_kv];
// decode reads a KV cache [b, s, kv_heads, d] with one query token per sequence (ar) or q of them (medusa: the
// candidates' own keys and the tree mask are not counted, so q = 1 is exactly ar).
GemmProblem make_problem(const ModelConfig& model, Op op, const Setting& setting, Dtype dtype);

struct Cost {
  std::int64_t flops = 0;      // 2 * M * N * K per matrix product (one multiply-add = 2 FLOP)
  std::int64_t bytes_min = 0;  // every input read once, every output written once
  double intensity() const { return bytes_min > 0 ? static_cast<double>(flops) / static_cast<double>(bytes_min) : 0; }
};

// The paper's accounting: softmax not counted, no causal savings, attention unfused (P is written by qk and read
// by pv), and each distinct matrix of an operand counted once (a weight once for all rows; a KV head once for the
// query heads of its group). Throws SizeError if a count does not fit in 64 bits.
Cost cost_of(const GemmProblem& problem);

// Device memory the problem's buffers take (A, B and C at their full strided extents), in bytes.
std::int64_t buffer_bytes(const GemmProblem& problem);

}  // namespace roofline

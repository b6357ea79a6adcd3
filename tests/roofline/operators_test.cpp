// The cost model against DESIGN.md section 2: the closed forms of the paper's Table 5 at every setting of the
// default sweep, and the worked values a correct model reproduces.
#include "roofline/operators.hpp"

#include <gtest/gtest.h>

#include "roofline/sweep.hpp"

namespace roofline {
namespace {

const ModelConfig& llama33b() {
  static const ModelConfig model = resolve_model("llama-33b");
  return model;
}

double intensity_of(Op op, Phase phase, std::int64_t b, std::int64_t s) {
  return cost_of(make_problem(llama33b(), op, Setting{phase, b, s}, Dtype::kF16)).intensity();
}

// DESIGN.md section 2, written out independently of operators.cpp.
Cost closed_form(Op op, Phase phase, std::int64_t b, std::int64_t s) {
  const std::int64_t h = 6656, n = 52, i = 17920;
  const std::int64_t t = phase == Phase::kInit ? b * s : b;  // rows of a linear
  switch (op) {
    case Op::kQProj:
    case Op::kKProj:
    case Op::kVProj:
    case Op::kOProj:
      return {2 * t * h * h, 2 * (2 * t * h + h * h)};
    case Op::kGateProj:
    case Op::kUpProj:
    case Op::kDownProj:
      return {2 * t * h * i, 2 * (t * h + h * i + t * i)};
    case Op::kQk:
    case Op::kPv:
      if (phase == Phase::kInit) return {2 * b * s * s * h, 2 * (2 * b * s * h + b * n * s * s)};
      return {2 * b * s * h, 2 * (b * h + b * s * h + b * n * s)};
  }
  return {};
}

TEST(Operators, EveryPointOfTheDefaultSweepMatchesThePapersAccounting) {
  const SweepSpec sweep = default_sweep();
  int checked = 0;
  for (const Setting& setting : settings_of(sweep)) {
    for (Op op : sweep.ops) {
      const Cost got = cost_of(make_problem(llama33b(), op, setting, Dtype::kF16));
      const Cost want = closed_form(op, setting.phase, setting.batch, setting.seq_len);
      ASSERT_EQ(got.flops, want.flops) << op_info(op).name << " b=" << setting.batch << " s=" << setting.seq_len;
      ASSERT_EQ(got.bytes_min, want.bytes_min)
          << op_info(op).name << " b=" << setting.batch << " s=" << setting.seq_len;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2 * 49 * 9);
}

TEST(Operators, WorkedValuesOfDesignSection2) {
  // qk/pv init: 42.7 at s = 128 and 124 at s = 8192, whatever b.
  for (std::int64_t b : {1, 8, 64}) {
    EXPECT_NEAR(intensity_of(Op::kQk, Phase::kInit, b, 128), 42.7, 0.05);
    EXPECT_NEAR(intensity_of(Op::kPv, Phase::kInit, b, 128), 42.7, 0.05);
    EXPECT_NEAR(intensity_of(Op::kQk, Phase::kInit, b, 8192), 124.1, 0.05);
  }
  // qk/pv ar: about 0.99.
  EXPECT_NEAR(intensity_of(Op::kQk, Phase::kAr, 1, 128), 0.99, 0.01);
  EXPECT_NEAR(intensity_of(Op::kPv, Phase::kAr, 64, 8192), 0.99, 0.01);
  // Linear ar: about b.
  EXPECT_NEAR(intensity_of(Op::kQProj, Phase::kAr, 1, 128), 1.0, 0.01);
  EXPECT_NEAR(intensity_of(Op::kGateProj, Phase::kAr, 16, 128), 15.9, 0.1);
  // qkv init: 123 at b*s = 128, about 3,300 at b*s = 524,288.
  EXPECT_NEAR(intensity_of(Op::kQProj, Phase::kInit, 1, 128), 123.3, 0.1);
  EXPECT_NEAR(intensity_of(Op::kVProj, Phase::kInit, 64, 8192), 3307, 1);
  // up/gate init: up to about 4,800.
  EXPECT_NEAR(intensity_of(Op::kUpProj, Phase::kInit, 64, 8192), 4809, 1);
}

TEST(Operators, DecodeLinearsDoNotDependOnContextLength) {
  for (Op op : {Op::kQProj, Op::kOProj, Op::kGateProj, Op::kDownProj}) {
    const GemmProblem a = make_problem(llama33b(), op, Setting{Phase::kAr, 4, 128}, Dtype::kF16);
    const GemmProblem b = make_problem(llama33b(), op, Setting{Phase::kAr, 4, 8192}, Dtype::kF16);
    EXPECT_EQ(a.key(), b.key());
  }
}

TEST(Operators, ShapesAndLayouts) {
  const GemmProblem q = make_problem(llama33b(), Op::kQProj, Setting{Phase::kInit, 2, 256}, Dtype::kF16);
  EXPECT_EQ(q.m, 512);
  EXPECT_EQ(q.n, 6656);
  EXPECT_EQ(q.k, 6656);
  EXPECT_EQ(q.b_layout, BLayout::kNT);
  const GemmProblem down = make_problem(llama33b(), Op::kDownProj, Setting{Phase::kInit, 2, 256}, Dtype::kF16);
  EXPECT_EQ(down.n, 6656);
  EXPECT_EQ(down.k, 17920);
  // qk init: per (b, head) Q_bh [s x d] with rows n*d apart in [b, s, n, d]; P [b, n, s, s].
  const GemmProblem qk = make_problem(llama33b(), Op::kQk, Setting{Phase::kInit, 2, 256}, Dtype::kF16);
  EXPECT_EQ(qk.m, 256);
  EXPECT_EQ(qk.n, 256);
  EXPECT_EQ(qk.k, 128);
  EXPECT_EQ(qk.batch_count(), 2 * 52);
  EXPECT_EQ(qk.a.ld, 6656);
  EXPECT_EQ(qk.a.batch_stride, 256 * 6656);
  EXPECT_EQ(qk.a.head_stride, 128);
  EXPECT_EQ(qk.c.ld, 256);
  EXPECT_EQ(qk.c.head_stride, 256 * 256);
  EXPECT_EQ(qk.c.batch_stride, 52 * 256 * 256);
  // pv: O = P * V, V read as [K x N] = [s x d].
  const GemmProblem pv = make_problem(llama33b(), Op::kPv, Setting{Phase::kAr, 3, 1024}, Dtype::kF16);
  EXPECT_EQ(pv.m, 1);
  EXPECT_EQ(pv.n, 128);
  EXPECT_EQ(pv.k, 1024);
  EXPECT_EQ(pv.b_layout, BLayout::kNN);
  EXPECT_EQ(pv.b.ld, 6656);
  EXPECT_EQ(pv.b.batch_stride, 1024 * 6656);
}

TEST(Operators, BufferBytesCoverEveryStridedMatrix) {
  // qk init at b = 64, s = 8192 needs about 447 GB of scores (DESIGN.md section 2).
  const GemmProblem qk = make_problem(llama33b(), Op::kQk, Setting{Phase::kInit, 64, 8192}, Dtype::kF16);
  const std::int64_t scores = 2LL * 64 * 52 * 8192 * 8192;
  const std::int64_t qkv = 2LL * 64 * 8192 * 6656;
  EXPECT_EQ(buffer_bytes(qk), scores + 2 * qkv);
  EXPECT_NEAR(static_cast<double>(scores) / 1e9, 447, 1);
}

TEST(Operators, GroupedQueryAttentionLlama2_70B) {
  const ModelConfig m = parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "llama-2-70b");
  EXPECT_EQ(m.head_dim, 128);
  const std::int64_t b = 4, s = 1024, h = 8192, n = 64, kv = 8, d = 128, i = 28672;
  const GemmProblem k = make_problem(m, Op::kKProj, Setting{Phase::kInit, b, s}, Dtype::kF16);
  EXPECT_EQ(k.n, kv * d);
  EXPECT_EQ(cost_of(k).flops, 2 * b * s * h * kv * d);
  EXPECT_EQ(cost_of(k).bytes_min, 2 * (b * s * h + kv * d * h + b * s * kv * d));
  const GemmProblem o = make_problem(m, Op::kOProj, Setting{Phase::kAr, b, s}, Dtype::kF16);
  EXPECT_EQ(o.n, h);
  EXPECT_EQ(o.k, n * d);
  const GemmProblem up = make_problem(m, Op::kUpProj, Setting{Phase::kAr, b, s}, Dtype::kF16);
  EXPECT_EQ(cost_of(up).bytes_min, 2 * (b * h + h * i + b * i));
  // Attention reads each K/V head once, whatever the query heads of its group.
  const GemmProblem qk = make_problem(m, Op::kQk, Setting{Phase::kAr, b, s}, Dtype::kF16);
  EXPECT_EQ(cost_of(qk).flops, 2 * b * s * n * d);
  EXPECT_EQ(cost_of(qk).bytes_min, 2 * (b * n * d + b * s * kv * d + b * n * s));
  EXPECT_EQ(qk.b.head_group, n / kv);
  const GemmProblem pv = make_problem(m, Op::kPv, Setting{Phase::kInit, b, s}, Dtype::kF16);
  EXPECT_EQ(cost_of(pv).bytes_min, 2 * (b * n * s * s + b * s * kv * d + b * s * n * d));
  EXPECT_EQ(buffer_bytes(pv), 2 * (b * n * s * s + b * s * kv * d + b * s * n * d));
}

TEST(Operators, SettingsTooLargeToCountAreRefusedNotWrapped) {
  // b = 4096, s = 2^20: qk init needs 2 * b * s^2 * h = 6e19 FLOPs, beyond 64 bits.
  const GemmProblem qk = make_problem(llama33b(), Op::kQk, Setting{Phase::kInit, 4096, 1 << 20}, Dtype::kF16);
  EXPECT_THROW(cost_of(qk), SizeError);
  // Its buffers (4.7e17 bytes, mostly scores) still count exactly: b * n * s^2 * 2 plus Q and K.
  const std::int64_t b = 4096, s = 1 << 20, n = 52, h = 6656;
  EXPECT_EQ(buffer_bytes(qk), 2 * (b * n * s * s + 2 * b * s * h));
  // The largest default setting still counts exactly.
  const GemmProblem big = make_problem(llama33b(), Op::kQk, Setting{Phase::kInit, 64, 8192}, Dtype::kF16);
  EXPECT_EQ(cost_of(big).flops, 2LL * 64 * 8192 * 8192 * 6656);
}

// DESIGN.md section 2's medusa table, written out independently of operators.cpp, for any model: q/k/v/o and the
// FFN with M = b*q; qk and pv with q query rows per (batch, head) over the s cached tokens, each K/V head read once.
Cost medusa_closed_form(const ModelConfig& m, Op op, std::int64_t b, std::int64_t s, std::int64_t q) {
  const std::int64_t h = m.hidden, n = m.heads, d = m.head_dim, kvd = m.kv_heads * m.head_dim, i = m.intermediate;
  const std::int64_t t = b * q;  // rows of a linear
  switch (op) {
    case Op::kQProj:
    case Op::kOProj:
      return {2 * t * h * n * d, 2 * (t * h + h * n * d + t * n * d)};
    case Op::kKProj:
    case Op::kVProj:
      return {2 * t * h * kvd, 2 * (t * h + h * kvd + t * kvd)};
    case Op::kGateProj:
    case Op::kUpProj:
    case Op::kDownProj:
      return {2 * t * h * i, 2 * (t * h + h * i + t * i)};
    case Op::kQk:
    case Op::kPv:  // Q (or O) b*q*n*d, K (or V) b*s*kv*d, scores b*n*q*s
      return {2 * b * q * s * n * d, 2 * (b * q * n * d + b * s * kvd + b * n * q * s)};
  }
  return {};
}

TEST(Operators, MedusaMatchesTheClosedFormsAtEverySettingOfTheDefaultCandidates) {
  SweepSpec sweep = default_sweep();
  sweep.phases = {Phase::kMedusa};
  int checked = 0;
  for (const Setting& setting : settings_of(sweep)) {
    for (Op op : sweep.ops) {
      const Cost got = cost_of(make_problem(llama33b(), op, setting, Dtype::kF16));
      const Cost want = medusa_closed_form(llama33b(), op, setting.batch, setting.seq_len, setting.candidates);
      const std::string where = std::string(op_info(op).name) + " b=" + std::to_string(setting.batch) +
                                " s=" + std::to_string(setting.seq_len) + " q=" + std::to_string(setting.candidates);
      ASSERT_EQ(got.flops, want.flops) << where;
      ASSERT_EQ(got.bytes_min, want.bytes_min) << where;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9 * 49 * 7);
  // In llama-33b's own words (h = n*d): qk/pv 2*b*q*s*h FLOPs and 2*(b*q*h + b*s*h + b*n*q*s) bytes.
  const std::int64_t b = 4, s = 2048, q = 48, h = 6656, n = 52;
  const Cost qk = cost_of(make_problem(llama33b(), Op::kQk, Setting{Phase::kMedusa, b, s, q}, Dtype::kF16));
  EXPECT_EQ(qk.flops, 2 * b * q * s * h);
  EXPECT_EQ(qk.bytes_min, 2 * (b * q * h + b * s * h + b * n * q * s));
}

TEST(Operators, MedusaShapes) {
  // Linears: M = b*q; attention: q query rows per (b, head) over the whole cache, P as [b, n, q, s].
  const GemmProblem up = make_problem(llama33b(), Op::kUpProj, Setting{Phase::kMedusa, 8, 4096, 112}, Dtype::kF16);
  EXPECT_EQ(up.m, 8 * 112);
  EXPECT_EQ(up.n, 17920);
  const GemmProblem qk = make_problem(llama33b(), Op::kQk, Setting{Phase::kMedusa, 2, 1024, 80}, Dtype::kF16);
  EXPECT_EQ(qk.m, 80);
  EXPECT_EQ(qk.n, 1024);
  EXPECT_EQ(qk.k, 128);
  EXPECT_EQ(qk.batch_count(), 2 * 52);
  EXPECT_EQ(qk.a.batch_stride, 80 * 6656);    // Q [b, q, n, d]
  EXPECT_EQ(qk.b.batch_stride, 1024 * 6656);  // K cache [b, s, n, d]
  EXPECT_EQ(qk.c.head_stride, 80 * 1024);     // P [b, n, q, s]
  const GemmProblem pv = make_problem(llama33b(), Op::kPv, Setting{Phase::kMedusa, 2, 1024, 80}, Dtype::kF16);
  EXPECT_EQ(pv.m, 80);
  EXPECT_EQ(pv.n, 128);
  EXPECT_EQ(pv.k, 1024);
  EXPECT_EQ(pv.b_layout, BLayout::kNN);
  // Other phases ignore the candidates field; decode_tokens says what a step processes.
  EXPECT_EQ(decode_tokens(Setting{Phase::kAr, 1, 128, 64}), 1);
  EXPECT_EQ(decode_tokens(Setting{Phase::kMedusa, 1, 128, 64}), 64);
  EXPECT_EQ(decode_tokens(Setting{Phase::kInit, 1, 128}), 0);
  EXPECT_EQ(make_problem(llama33b(), Op::kQk, Setting{Phase::kAr, 1, 128, 64}, Dtype::kF16).m, 1);
}

TEST(Operators, MedusaWithOneCandidateIsExactlyTheArStep) {
  for (const ModelConfig& model :
       {llama33b(), parse_model_config(R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8,
                                          "intermediate_size": 28672})",
                                       "llama-2-70b")}) {
    for (const Setting& ar : settings_of(default_sweep())) {
      if (ar.phase != Phase::kAr) continue;
      for (Op op : default_sweep().ops) {
        const GemmProblem want = make_problem(model, op, ar, Dtype::kF16);
        const GemmProblem got = make_problem(model, op, Setting{Phase::kMedusa, ar.batch, ar.seq_len, 1}, Dtype::kF16);
        ASSERT_EQ(got.key(), want.key()) << op_info(op).name << " b=" << ar.batch << " s=" << ar.seq_len;
        ASSERT_EQ(cost_of(got).flops, cost_of(want).flops);
        ASSERT_EQ(cost_of(got).bytes_min, cost_of(want).bytes_min);
        ASSERT_EQ(buffer_bytes(got), buffer_bytes(want));
      }
    }
  }
}

TEST(Operators, MedusaGroupedQueryAttentionLlama2_70B) {
  const ModelConfig m = parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "llama-2-70b");
  const std::int64_t h = 8192, n = 64, kv = 8, d = 128, i = 28672;
  int checked = 0;
  for (std::int64_t b : {1, 4, 64}) {
    for (std::int64_t s : {128, 1000, 8192}) {
      for (std::int64_t q : {1, 16, 63, 112}) {
        for (const auto& info : all_ops()) {
          const GemmProblem p = make_problem(m, info.op, Setting{Phase::kMedusa, b, s, q}, Dtype::kF16);
          const Cost want = medusa_closed_form(m, info.op, b, s, q);
          ASSERT_EQ(cost_of(p).flops, want.flops) << info.name << " b=" << b << " s=" << s << " q=" << q;
          ASSERT_EQ(cost_of(p).bytes_min, want.bytes_min) << info.name << " b=" << b << " s=" << s << " q=" << q;
          ++checked;
        }
        // The same in the model's own numbers: every K/V head read once for the 8 query heads of its group.
        const Cost qk = cost_of(make_problem(m, Op::kQk, Setting{Phase::kMedusa, b, s, q}, Dtype::kF16));
        EXPECT_EQ(qk.flops, 2 * b * q * s * n * d);
        EXPECT_EQ(qk.bytes_min, 2 * (b * q * n * d + b * s * kv * d + b * n * q * s));
        const Cost k = cost_of(make_problem(m, Op::kKProj, Setting{Phase::kMedusa, b, s, q}, Dtype::kF16));
        EXPECT_EQ(k.bytes_min, 2 * (b * q * h + kv * d * h + b * q * kv * d));
        const Cost down = cost_of(make_problem(m, Op::kDownProj, Setting{Phase::kMedusa, b, s, q}, Dtype::kF16));
        EXPECT_EQ(down.flops, 2 * b * q * h * i);
      }
    }
  }
  EXPECT_EQ(checked, 3 * 3 * 4 * 9);
  EXPECT_EQ(make_problem(m, Op::kPv, Setting{Phase::kMedusa, 2, 512, 32}, Dtype::kF16).b.head_group, n / kv);
}

TEST(Operators, MedusaMovesDecodeTowardTheRidge) {
  // The point of the phase: intensity grows with q. Linears reach about q FLOP/B at b = 1 (as ar reaches b);
  // qk/pv stays below d*s/(d+s) < d = 128 FLOP/B at any q, so attention never crosses an A40's 215 FLOP/B ridge.
  EXPECT_NEAR(
      cost_of(make_problem(llama33b(), Op::kQProj, Setting{Phase::kMedusa, 1, 128, 64}, Dtype::kF16)).intensity(), 62.8,
      0.1);
  double previous = 0;
  for (std::int64_t q : default_candidates()) {
    const double qk =
        cost_of(make_problem(llama33b(), Op::kQk, Setting{Phase::kMedusa, 1, 8192, q}, Dtype::kF16)).intensity();
    EXPECT_GT(qk, previous);
    EXPECT_LT(qk, 128.0 * 8192 / (128 + 8192));
    previous = qk;
  }
}

TEST(Operators, CatalogueNamesAndSeries) {
  EXPECT_EQ(all_ops().size(), 9u);
  Op op{};
  ASSERT_TRUE(parse_op("o_proj", &op));
  EXPECT_STREQ(op_info(op).series, "qkv mlp");
  ASSERT_TRUE(parse_op("down_proj", &op));
  EXPECT_STREQ(op_info(op).series, "up/gate/down");
  ASSERT_TRUE(parse_op("pv", &op));
  EXPECT_STREQ(op_info(op).series, "qk/pv");
  EXPECT_FALSE(parse_op("Q_PROJ", &op));
}

}  // namespace
}  // namespace roofline

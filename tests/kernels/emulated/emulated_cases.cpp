#include "emulated_cases.hpp"

#include <stdexcept>

#include "emulated_problem.hpp"
#include "kernels/test_variants.cuh"
#include "kernels/variants.cuh"
#include "roofline/operators.hpp"

namespace emulated {

using roofline::Dtype;
using roofline::Op;
using roofline::Phase;

std::vector<Case> cases(Dtype dtype) {
  // Small models with Llama's structure: head_dim 128 and multi-head attention; head_dim 64 with 2 query heads per
  // KV head; head_dim 128 with 8 and 16 query heads per KV head (one and two row groups of the decode kernels).
  const auto mha = tiny_model("tiny-mha", 256, 2, 2, 512);
  const auto gqa2 = tiny_model("tiny-gqa2", 256, 4, 2, 512);
  const auto gqa8 = tiny_model("tiny-gqa8", 1024, 8, 1, 1024);
  const auto gqa16 = tiny_model("tiny-gqa16", 2048, 16, 1, 1024);
  auto op = [&](const roofline::ModelConfig& m, Op o, Phase ph, std::int64_t b, std::int64_t s, std::int64_t q = 1) {
    return roofline::make_problem(m, o, roofline::Setting{ph, b, s, q}, dtype);
  };
  return {
      {"tiny", "1x8x8", linear(1, 8, 8, dtype)},
      {"tiny", "16x16x16", linear(16, 16, 16, dtype)},
      {"tiny", "16x64x32 nn", linear(16, 64, 32, dtype, true)},
      {"odd", "77x200x136", linear(77, 200, 136, dtype)},
      {"odd", "13x72x520", linear(13, 72, 520, dtype)},
      {"odd", "300x392x200", linear(300, 392, 200, dtype)},
      {"odd", "70x136x40 nn", linear(70, 136, 40, dtype, true)},
      {"tiles", "128x128x64", linear(128, 128, 64, dtype)},
      {"tiles", "256x256x128", linear(256, 256, 128, dtype)},
      {"tiles", "128x128x128 nn", linear(128, 128, 128, dtype, true)},
      {"decode", "q_proj ar b1", op(mha, Op::kQProj, Phase::kAr, 1, 64)},
      {"decode", "o_proj ar b9", op(mha, Op::kOProj, Phase::kAr, 9, 64)},
      {"decode", "down_proj ar b16", op(mha, Op::kDownProj, Phase::kAr, 16, 64)},
      {"decode", "gate_proj ar b64", op(mha, Op::kGateProj, Phase::kAr, 64, 64)},
      {"decode", "qk ar b2 s200", op(mha, Op::kQk, Phase::kAr, 2, 200)},
      // 80 key tiles over qk_decode_pipe's 48 warps: ranges that cross from one head to the next (queries reloaded),
      // the first at tile 24.
      {"decode", "qk ar b5 s64", op(mha, Op::kQk, Phase::kAr, 5, 64)},
      {"decode", "pv ar b3 s200", op(mha, Op::kPv, Phase::kAr, 3, 200)},
      {"decode", "pv ar b1 s1000", op(mha, Op::kPv, Phase::kAr, 1, 1000)},
      {"medusa", "qk medusa b1 s64 q16", op(mha, Op::kQk, Phase::kMedusa, 1, 64, 16)},
      {"medusa", "pv medusa b2 s64 q16", op(mha, Op::kPv, Phase::kMedusa, 2, 64, 16)},
      {"medusa", "up_proj medusa b1 q16", op(mha, Op::kUpProj, Phase::kMedusa, 1, 64, 16)},
      {"gqa", "qk ar b2 s64 (2 per KV head, d 64)", op(gqa2, Op::kQk, Phase::kAr, 2, 64)},
      {"gqa", "pv ar b2 s72 (2 per KV head, d 64)", op(gqa2, Op::kPv, Phase::kAr, 2, 72)},
      {"gqa", "qk ar b1 s100 (8 per KV head)", op(gqa8, Op::kQk, Phase::kAr, 1, 100)},
      {"gqa", "pv ar b1 s128 (8 per KV head)", op(gqa8, Op::kPv, Phase::kAr, 1, 128)},
      {"gqa", "pv ar b1 s64 (16 per KV head)", op(gqa16, Op::kPv, Phase::kAr, 1, 64)},
      {"gqa", "qk ar b1 s64 (16 per KV head)", op(gqa16, Op::kQk, Phase::kAr, 1, 64)},
      {"prefill attention", "qk init b1 s64", op(mha, Op::kQk, Phase::kInit, 1, 64)},
      {"prefill attention", "pv init b1 s64", op(mha, Op::kPv, Phase::kInit, 1, 64)},
      {"prefill attention", "qk init b2 s40 (gqa)", op(gqa2, Op::kQk, Phase::kInit, 2, 40)},
      {"prefill attention", "pv init b2 s72 (gqa)", op(gqa2, Op::kPv, Phase::kInit, 2, 72)},
  };
}

const Case& case_named(const std::vector<Case>& all, const std::string& name) {
  for (const Case& c : all) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no case named " + name);
}

const kernels::GemmVariant& variant_named(const std::string& name) {
  for (const auto& v : kernels::gemm_variants()) {
    if (name == v.name) return v;
  }
  for (const auto& v : kernels::test_gemm_variants()) {
    if (name == v.name) return v;
  }
  throw std::runtime_error("no variant " + name);
}

Outcome run_twice(const kernels::GemmVariant& variant, const Case& c, std::uint64_t seed) {
  Outcome out;
  EmulatedProblem problem(c.problem, 42, kSmCount);
  const GlobalBuffer workspace = garbage_workspace(variant.workspace_bytes(problem.args()), seed);
  for (int run = 0; run < 2 && out.status == cudaSuccess; ++run) {
    cuda_emu::options().seed = seed + run;
    problem.poison_output();
    out.status = variant.launch(problem.args(workspace.get()), nullptr);
    (run == 0 ? out.first : out.second) = problem.relative_error();
    ++out.runs;
  }
  out.findings = cuda_emu::take_diagnostics();
  return out;
}

}  // namespace emulated

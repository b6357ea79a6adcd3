// Every hand-written variant against cuBLAS on the same random inputs, with the output poisoned first, at tiny, odd,
// tile-multiple and real Llama 33B shapes (prefill, decode and Medusa steps, and grouped-query ones), in fp16 and
// bf16. Label gpu: without a GPU each test is skipped with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/point/cublas_gemm.hpp"
#include "bench/point/problem_buffers.hpp"
#include "bench/point/validate.hpp"
#include "gpu_test_support.hpp"
#include "kernels/variants.cuh"
#include "roofline/operators.hpp"

namespace bench {
namespace {

using roofline::Dtype;
using roofline::GemmProblem;
using roofline::Op;
using roofline::Phase;

GemmProblem linear(std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype) {
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.dtype = dtype;
  p.a = {m, k, k, 0, 0, 1, 1};
  p.b = {n, k, k, 0, 0, 1, 1};
  p.c = {m, n, n, 0, 0, 1, 1};
  return p;
}

// qk with Q and K stored [b, n, s, d] (heads outside the rows, as some attention implementations hold them), kv_heads
// K heads shared by the query heads: the Hopper kernels map both operands (k, row, head, batch).
GemmProblem heads_outer_qk(std::int64_t b, std::int64_t heads, std::int64_t kv_heads, std::int64_t s, std::int64_t d,
                           Dtype dtype) {
  GemmProblem p;
  p.m = s;
  p.n = s;
  p.k = d;
  p.batch = b;
  p.heads = heads;
  p.dtype = dtype;
  p.a = {s, d, d, heads * s * d, s * d, 1, b * heads};
  p.b = {s, d, d, kv_heads * s * d, s * d, heads / kv_heads, b * kv_heads};
  p.c = {s, s, s, heads * s * s, s * s, 1, b * heads};
  return p;
}

// BENCH_LLAMA_VARIANTS picks the variants the comparison with cuBLAS runs: unset or empty, all; "a,b", only those;
// "-a,b", all but those. tools/device_run.sh runs each variant in a process of its own: one that traps (a deadlock
// caught by its watchdog) leaves its process's CUDA context unusable, and must not take the other variants' results
// with it.
bool selected(const std::string& name) {
  const char* env = std::getenv("BENCH_LLAMA_VARIANTS");
  std::string list = env ? env : "";
  if (list.empty()) return true;
  const bool exclude = list.front() == '-';
  if (exclude) list.erase(0, 1);
  bool listed = false;
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    listed = listed || list.compare(start, end - start, name) == 0;
    start = end + 1;
  }
  return listed != exclude;
}

struct Case {
  std::string name;
  GemmProblem problem;
};

std::vector<Case> cases(Dtype dtype) {
  const auto llama33b = roofline::resolve_model("llama-33b");
  const auto llama70b = roofline::parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "llama-2-70b");
  // A tiny grouped-query model (head_dim 64, 2 query heads per KV head) for the decode attention kernels' edges.
  const auto tiny_gqa = roofline::parse_model_config(
      R"({"hidden_size": 256, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 512})",
      "tiny-gqa");
  auto op = [&](const roofline::ModelConfig& m, Op o, Phase ph, std::int64_t b, std::int64_t s, std::int64_t q = 1) {
    return roofline::make_problem(m, o, roofline::Setting{ph, b, s, q}, dtype);
  };
  std::vector<Case> out = {
      {"tiny_1x8x8", linear(1, 8, 8, dtype)},
      {"tiny_16x16x16", linear(16, 16, 16, dtype)},
      {"odd_77x200x136", linear(77, 200, 136, dtype)},
      {"odd_13x72x520", linear(13, 72, 520, dtype)},
      {"tiles_256x256x256", linear(256, 256, 256, dtype)},
      {"q_proj_init_b1_s512", op(llama33b, Op::kQProj, Phase::kInit, 1, 512)},
      {"down_proj_init_b2_s128", op(llama33b, Op::kDownProj, Phase::kInit, 2, 128)},
      {"gate_proj_ar_b1", op(llama33b, Op::kGateProj, Phase::kAr, 1, 128)},
      {"down_proj_ar_b16", op(llama33b, Op::kDownProj, Phase::kAr, 16, 128)},
      {"o_proj_ar_b64", op(llama33b, Op::kOProj, Phase::kAr, 64, 128)},
      {"qk_init_b2_s256", op(llama33b, Op::kQk, Phase::kInit, 2, 256)},
      {"pv_init_b2_s256", op(llama33b, Op::kPv, Phase::kInit, 2, 256)},
      {"qk_ar_b4_s1024", op(llama33b, Op::kQk, Phase::kAr, 4, 1024)},
      {"pv_ar_b1_s4096", op(llama33b, Op::kPv, Phase::kAr, 1, 4096)},
      {"pv_ar_b3_s200", op(llama33b, Op::kPv, Phase::kAr, 3, 200)},
      {"gqa_qk_ar_b2_s512", op(llama70b, Op::kQk, Phase::kAr, 2, 512)},
      {"gqa_pv_ar_b1_s8192", op(llama70b, Op::kPv, Phase::kAr, 1, 8192)},  // 64 pairs: the context is split
      {"gqa_pv_init_b1_s128", op(llama70b, Op::kPv, Phase::kInit, 1, 128)},
      // Medusa steps: q query rows over the cache (qk on gemv_mma up to q = 64, gemm beyond; pv on gemm_mma).
      {"qk_medusa_b2_s1024_q64", op(llama33b, Op::kQk, Phase::kMedusa, 2, 1024, 64)},
      {"qk_medusa_b1_s512_q112", op(llama33b, Op::kQk, Phase::kMedusa, 1, 512, 112)},
      {"pv_medusa_b2_s1024_q16", op(llama33b, Op::kPv, Phase::kMedusa, 2, 1024, 16)},
      {"up_proj_medusa_b1_q80", op(llama33b, Op::kUpProj, Phase::kMedusa, 1, 128, 80)},
      {"gqa_pv_medusa_b1_s512_q48", op(llama70b, Op::kPv, Phase::kMedusa, 1, 512, 48)},
      // The pipelined decode variants at their edges: M = 8 and 9 (one or two row groups of A), a context that is not
      // a multiple of the k16 chunk, grouped-query decode with K/V read once per KV head.
      {"q_proj_ar_b8", op(llama33b, Op::kQProj, Phase::kAr, 8, 128)},
      {"o_proj_ar_b9", op(llama33b, Op::kOProj, Phase::kAr, 9, 128)},
      {"pv_ar_b2_s1000", op(llama33b, Op::kPv, Phase::kAr, 2, 1000)},
      {"gqa_pv_ar_b2_s512", op(llama70b, Op::kPv, Phase::kAr, 2, 512)},
      {"gqa_qk_ar_b1_s1000", op(llama70b, Op::kQk, Phase::kAr, 1, 1000)},
      {"gqa_pv_ar_b1_s1000", op(llama70b, Op::kPv, Phase::kAr, 1, 1000)},
      {"qk_ar_b1_s200", op(llama33b, Op::kQk, Phase::kAr, 1, 200)},
      {"tiny_gqa_qk_ar_b1_s6", op(tiny_gqa, Op::kQk, Phase::kAr, 1, 6)},
      {"tiny_gqa_pv_ar_b3_s12", op(tiny_gqa, Op::kPv, Phase::kAr, 3, 12)},
      // The BK = 64 prefill GEMM (gemm_mma_w64) at its edges: a K tail shorter than a k-tile in both B layouts,
      // interior blocks whose last k-tile is partial next to edge blocks in M and N, an N narrower than the tile in
      // the [K x N] layout, and grouped-query prefill attention.
      {"edges_300x392x200", linear(300, 392, 200, dtype)},
      {"pv_init_b1_s200", op(llama33b, Op::kPv, Phase::kInit, 1, 200)},
      {"gqa_qk_init_b1_s200", op(llama70b, Op::kQk, Phase::kInit, 1, 200)},
      {"gqa_pv_init_b2_s1000", op(llama70b, Op::kPv, Phase::kInit, 2, 1000)},
      {"tiny_gqa_qk_init_b2_s40", op(tiny_gqa, Op::kQk, Phase::kInit, 2, 40)},
      {"tiny_gqa_pv_init_b2_s72", op(tiny_gqa, Op::kPv, Phase::kInit, 2, 72)},
      // The Hopper GEMMs at their edges: M, N and K not multiples of the 128x256x64 tile (a last column tile
      // 8 wide, a last k-tile of 8); pv at prefill with head_dim 64 (the second 64-column box of B [K x N] wholly
      // outside), its scores read with rows inside a head; qk at prefill with partial tiles on both sides.
      {"odd_300x520x200", linear(300, 520, 200, dtype)},
      {"odd_1000x1000x1000", linear(1000, 1000, 1000, dtype)},
      {"tiny_gqa_qk_init_b2_s200", op(tiny_gqa, Op::kQk, Phase::kInit, 2, 200)},
      {"tiny_gqa_pv_init_b2_s200", op(tiny_gqa, Op::kPv, Phase::kInit, 2, 200)},
      {"heads_outer_gqa_qk_b2_h4_s200", heads_outer_qk(2, 4, 2, 200, 64, dtype)},
      // The 2x1-cluster variants: 17 tile rows (the last cluster's upper block falls past M) by 10 tile columns, 90
      // cluster tiles, more than an H100 holds at once (66), so the persistent walk wraps around.
      {"clusters_wrap_2176x2560x256", linear(2176, 2560, 256, dtype)},
      // The same with 6 k-tiles (a tail of 8), so the 4-stage ring's phase no longer lines up with the tiles.
      {"clusters_wrap_2176x2560x328", linear(2176, 2560, 328, dtype)},
  };
  // Under compute-sanitizer (tools/device_run.sh sets BENCH_LLAMA_SMALL_SHAPES=1) the largest shapes would take
  // minutes of instrumented work: keep those up to 2^28 multiply-adds, which still gives every variant three shapes.
  if (const char* small = std::getenv("BENCH_LLAMA_SMALL_SHAPES"); small && std::string(small) == "1") {
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const Case& c) { return roofline::cost_of(c.problem).flops > 2 * (1LL << 28); }),
              out.end());
  }
  return out;
}

class VariantsGpu : public testing::TestWithParam<Dtype> {
 protected:
  void SetUp() override {
    if (const std::string why = testing_support::no_gpu_reason(); !why.empty()) GTEST_SKIP() << why;
    cudaDeviceProp prop{};
    BENCH_LLAMA_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    sm_ = prop.major * 10 + prop.minor;
    sm_count_ = prop.multiProcessorCount;
    stream_.emplace();
    cublas_.emplace(stream_->get());
  }

  bool for_this_gpu(const kernels::GemmVariant& v) const {
    return v.min_sm <= sm_ && (v.max_sm == 0 || sm_ <= v.max_sm);
  }

  int sm_ = 0, sm_count_ = 0;
  std::optional<CudaStream> stream_;
  std::optional<CublasHandle> cublas_;
};

TEST_P(VariantsGpu, EveryVariantMatchesCublasOnEveryShapeItSupports) {
  std::map<std::string, int> ran;
  for (const Case& c : cases(GetParam())) {
    ProblemBuffers buffers(c.problem, stream_->get(), 42);
    cublas_gemm(cublas_->get(), buffers);
    DeviceBuffer reference(buffers.c.bytes());
    BENCH_LLAMA_CUDA_CHECK(cudaMemcpy(reference.get(), buffers.c.get(), buffers.c.bytes(), cudaMemcpyDeviceToDevice));
    for (const auto& variant : kernels::gemm_variants()) {
      kernels::GemmArgs args = buffers.args();
      args.sm_count = sm_count_;
      if (!for_this_gpu(variant) || !selected(variant.name) || std::string(variant.supports(args, sm_)) != "") {
        continue;
      }
      DeviceBuffer workspace(static_cast<std::int64_t>(variant.workspace_bytes(args)));
      args.workspace = workspace.get();
      buffers.poison_output(stream_->get());
      BENCH_LLAMA_CUDA_CHECK(variant.launch(args, stream_->get()));
      BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream_->get()));
      const double error =
          relative_error(buffers.c.get(), reference.get(), buffers.c.bytes() / 2, args.element, stream_->get());
      EXPECT_LE(error, tolerance(c.problem.dtype)) << variant.name << " on " << c.name << " (NaN: unwritten output)";
      ++ran[variant.name];
    }
  }
  // Each variant is exercised on several shapes: a supports() that refused everything would pass the loop above.
  for (const auto& variant : kernels::gemm_variants()) {
    if (for_this_gpu(variant) && selected(variant.name)) {
      EXPECT_GE(ran[variant.name], 3) << variant.name << " ran on too few shapes";
    }
  }
}

TEST_P(VariantsGpu, HandPicksAVariantForEveryOperatorOfTheSweep) {
  const auto model = roofline::resolve_model("llama-33b");
  for (const auto& info : roofline::all_ops()) {
    for (Phase phase : {Phase::kInit, Phase::kAr, Phase::kMedusa}) {
      for (std::int64_t b : {1, 64}) {
        for (std::int64_t q :
             phase == Phase::kMedusa ? std::vector<std::int64_t>{16, 112} : std::vector<std::int64_t>{1}) {
          kernels::GemmArgs args = gemm_args(roofline::make_problem(model, info.op, {phase, b, 1024, q}, GetParam()));
          args.sm_count = sm_count_;
          bool picked = false;
          for (const auto& v : kernels::gemm_variants()) {
            picked = picked || (for_this_gpu(v) && std::string(v.supports(args, sm_)).empty() && v.suits(args));
          }
          EXPECT_TRUE(picked) << info.name << " " << roofline::phase_name(phase) << " b=" << b << " q=" << q;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, VariantsGpu, testing::Values(Dtype::kF16, Dtype::kBF16),
                         [](const testing::TestParamInfo<Dtype>& param) { return roofline::dtype_name(param.param); });

}  // namespace
}  // namespace bench

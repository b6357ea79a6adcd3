// The kernel model's arithmetic on values worked out by hand: residency from the architecture's limits, waves, the
// load requests of each variant (aligned and not), the DRAM estimate of a tile GEMM wave by wave, and the predicted
// time's terms. That the model describes the kernels themselves is shown elsewhere: its requests and footprints against
// the emulator's counts (tests/kernels/emulated/traffic_table_test.cpp), its choice of variant against the kernels'
// table (tests/bench/variants_test.cpp), its registers against the build (tests/kernels/test_sass.py).
#include "roofline/kernel_model.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "roofline/model_config.hpp"
#include "roofline/operators.hpp"
#include "roofline/plan.hpp"
#include "roofline/roofline_math.hpp"

namespace roofline {
namespace {

// C[M x N] = A[M x K] * B^T, one matrix, rows packed.
GemmProblem linear(std::int64_t m, std::int64_t n, std::int64_t k) {
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = {m, k, k, 0, 0, 1, 1};
  p.b = {n, k, k, 0, 0, 1, 1};
  p.c = {m, n, n, 0, 0, 1, 1};
  return p;
}

GpuTarget a40() { return gpu_target(*find_machine_spec("a40"), Dtype::kF16); }

GemmProblem llama(Op op, Phase phase, std::int64_t b, std::int64_t s) {
  static const ModelConfig model = resolve_model("llama-33b");
  return make_problem(model, op, Setting{phase, b, s}, Dtype::kF16);
}

TEST(KernelModel, ResidencyFollowsTheArchitecturesLimits) {
  // gemm_mma_128x128: 256 threads, 126 registers (4096 a warp once rounded to 256), 64 KiB of shared memory.
  EXPECT_EQ(resident_blocks(86, 256, 126, 64 * 1024), 1);  // 100 KiB of shared memory a multiprocessor
  EXPECT_EQ(resident_blocks(80, 256, 126, 64 * 1024), 2);  // 164 KiB; registers allow 2 as well
  EXPECT_EQ(resident_blocks(90, 256, 126, 64 * 1024), 2);  // 228 KiB would take 3; registers allow 2
  // gemm_mma_64x64: 128 threads, 96 registers (12 K a block: 5 fit), 32 KiB + 1 KiB reserved: 3 fit in 100 KiB.
  EXPECT_EQ(resident_blocks(86, 128, 96, 32 * 1024), 3);
  // Threads: 1536 a multiprocessor on sm_86, so 6 blocks of 256 threads with few registers and no shared memory.
  EXPECT_EQ(resident_blocks(86, 256, 32, 0), 6);
  EXPECT_EQ(resident_blocks(80, 256, 32, 0), 8);
  EXPECT_EQ(resident_blocks(86, 32, 16, 0), 16);  // the block limit
  EXPECT_EQ(resident_blocks(75, 256, 32, 0), 0);  // an architecture the kernels do not run on
  EXPECT_EQ(resident_blocks(86, 2048, 32, 0), 0);
  EXPECT_EQ(resident_blocks(86, 256, 32, 200 * 1024), 0);
}

TEST(KernelModel, WavesCountTheLastWavesIdleSlots) {
  GpuTarget gpu = a40();  // 84 SMs, one 128x128 block each
  const KernelPlan full = plan_variant("gemm_mma_128x128", linear(128 * 84, 128, 64), gpu);
  EXPECT_EQ(full.launches.front().blocks, 84);
  EXPECT_EQ(full.blocks_per_sm, 1);
  EXPECT_EQ(full.waves, 1);
  EXPECT_DOUBLE_EQ(full.wave_efficiency, 1.0);
  const KernelPlan one_more = plan_variant("gemm_mma_128x128", linear(128 * 85, 128, 64), gpu);
  EXPECT_EQ(one_more.waves, 2);
  EXPECT_DOUBLE_EQ(one_more.wave_efficiency, 85.0 / 168.0);
  // The tensor work is padded to whole tiles: 85 blocks of 128 x 128 x 64.
  EXPECT_DOUBLE_EQ(one_more.tensor_flops, 2.0 * 85 * 128 * 128 * 64);
}

TEST(KernelModel, TileGemmLoadsEachTilesRowsOfAAndB) {
  const GpuTarget gpu = a40();
  // 2 x 2 tiles, K = 128: each tile reads its 128 rows of A and of B, 256 bytes each.
  const KernelPlan square = plan_variant("gemm_mma_128x128", linear(256, 256, 128), gpu);
  EXPECT_EQ(square.load_sector_bytes, 2 * 256 * 256 + 2 * 256 * 256);
  EXPECT_EQ(square.footprint_bytes, 256 * 128 * 2 * 2 + 256 * 256 * 2);
  // M = 200: the second tile row has 72 rows, and the zero-filled rest reads nothing.
  const KernelPlan ragged = plan_variant("gemm_mma_128x128", linear(200, 256, 128), gpu);
  EXPECT_EQ(ragged.load_sector_bytes, 2 * 200 * 256 + 2 * 256 * 256);
}

TEST(KernelModel, GemvReadsBOnceAndAOncePerWarpColumn) {
  const GpuTarget gpu = a40();
  // gemv_mma_splitk: 16 columns a block, one warp column: N = 64 is 4 blocks, each reading A's row.
  const KernelPlan p = plan_variant("gemv_mma_splitk", linear(1, 64, 512), gpu);
  EXPECT_EQ(p.launches.front().blocks, 4);
  EXPECT_EQ(p.load_sector_bytes, 64 * 1024 + 4 * 1024);
  EXPECT_EQ(p.footprint_bytes, 1024 + 64 * 1024 + 128);
  // K = 520: rows 1040 bytes apart, so every odd row starts 16 bytes into a sector and each of its 64-byte chunks
  // spans 3 sectors: an even row is 16 x 64 + 32 bytes (the last 16-byte chunk), an odd row 16 x 96 + 32. B has 8 of
  // each, A (2 rows, one block) one of each.
  const KernelPlan odd = plan_variant("gemv_mma_splitk", linear(2, 16, 520), gpu);
  const std::int64_t even_row = 16 * 64 + 32, odd_row = 16 * 96 + 32;
  EXPECT_EQ(odd.load_sector_bytes, 8 * (even_row + odd_row) + (even_row + odd_row));
}

TEST(KernelModel, WaveEstimateOfDramBytesWhenOperandsExceedL2) {
  // 2 x 2 tiles of 128 x 128, K = 64 (rows of 128 bytes), walked row 0 col 0, row 1 col 0, row 0 col 1, row 1 col 1.
  GpuTarget gpu = a40();
  gpu.l2_bytes = 0;  // nothing fits: the wave estimate
  const std::int64_t band = 128 * 128, c = 256 * 256 * 2;
  gpu.sm_count = 1;  // one tile a wave: each reads its band of A and of B
  EXPECT_DOUBLE_EQ(plan_variant("gemm_mma_128x128", linear(256, 256, 64), gpu).dram_bytes, 4.0 * 2 * band + c);
  gpu.sm_count = 2;  // two a wave: both bands of A and one of B
  EXPECT_DOUBLE_EQ(plan_variant("gemm_mma_128x128", linear(256, 256, 64), gpu).dram_bytes, 2.0 * 3 * band + c);
  gpu.sm_count = 4;  // one wave: the footprint
  const KernelPlan one = plan_variant("gemm_mma_128x128", linear(256, 256, 64), gpu);
  EXPECT_DOUBLE_EQ(one.dram_bytes, static_cast<double>(one.footprint_bytes));
  // Operands that fit in L2 move once, however many waves.
  gpu.sm_count = 1;
  gpu.l2_bytes = 1 << 20;
  const KernelPlan cached = plan_variant("gemm_mma_128x128", linear(256, 256, 64), gpu);
  EXPECT_DOUBLE_EQ(cached.dram_bytes, static_cast<double>(cached.footprint_bytes));
}

TEST(KernelModel, GroupedQueryHeadsShareKeyTilesWithinAWave) {
  static const ModelConfig gqa = parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "gqa");
  GemmProblem shared = make_problem(gqa, Op::kQk, Setting{Phase::kInit, 1, 512}, Dtype::kF16);
  ASSERT_EQ(shared.b.head_group, 8);
  GemmProblem own = shared;  // the same shapes with a K matrix per head
  own.b.head_group = 1;
  own.b.head_stride = shared.b.head_stride / 8;
  GpuTarget gpu = a40();
  gpu.l2_bytes = 0;
  const double with_sharing = plan_variant("gemm_mma_128x128", shared, gpu).dram_bytes;
  const double without = plan_variant("gemm_mma_128x128", own, gpu).dram_bytes;
  EXPECT_LT(with_sharing, without);
}

TEST(KernelModel, AMatrixSharedByEveryBatchIsReadOncePerWave) {
  // Three 128 x 128 x 64 products (one tile each) with one B: waves of two tiles read A0, A1 and B, then A2 and B.
  GemmProblem p = linear(128, 128, 64);
  p.batch = p.a.count = p.c.count = 3;
  p.a.batch_stride = 128 * 64;
  p.c.batch_stride = 128 * 128;
  p.b.batch_stride = 0;  // count 1: every batch reads the same B
  GpuTarget gpu = a40();
  gpu.sm_count = 2;
  gpu.l2_bytes = 0;
  const std::int64_t band = 128 * 128, c = 3 * 128 * 128 * 2;
  EXPECT_DOUBLE_EQ(plan_variant("gemm_mma_128x128", p, gpu).dram_bytes, (3 + 2) * band + c);
}

TEST(KernelModel, DecodeLinearOnTheA40IsItsBytesAtTheStatedBandwidth) {
  const GemmProblem q = llama(Op::kQProj, Phase::kAr, 1, 512);
  const Prediction p = predict_hand(q, a40());
  ASSERT_TRUE(p.modeled) << p.reason;
  EXPECT_EQ(p.variant, "gemv_mma_splitk");
  EXPECT_EQ(p.bound, "dram");
  const ModelConstants constants;
  EXPECT_DOUBLE_EQ(p.plan.dram_bytes, static_cast<double>(cost_of(q).bytes_min));
  EXPECT_DOUBLE_EQ(p.time_s,
                   constants.launch_s + p.plan.dram_bytes / (constants.dram_fraction * a40().dram_bytes_per_s));
}

TEST(KernelModel, PrefillLinearOnTheA40IsComputeBoundBelowThePeak) {
  const GemmProblem q = llama(Op::kQProj, Phase::kInit, 16, 2048);
  const Prediction p = predict_hand(q, a40());
  ASSERT_TRUE(p.modeled) << p.reason;
  EXPECT_EQ(p.variant, "gemm_mma_128x128");
  EXPECT_EQ(p.bound, "compute");
  EXPECT_GT(p.time_s, static_cast<double>(cost_of(q).flops) / a40().tensor_flops);
  // 6 MiB of L2 holds no wave's operands: tiles re-read A's and B's bands, several times the minimum.
  EXPECT_GT(p.plan.dram_bytes, 2.0 * static_cast<double>(cost_of(q).bytes_min));
}

TEST(KernelModel, TheSplitPvPaysTwoLaunches) {
  const Prediction p = predict_hand(llama(Op::kPv, Phase::kAr, 1, 4096), a40());
  ASSERT_TRUE(p.modeled) << p.reason;
  EXPECT_EQ(p.variant, "pv_decode_split");
  ASSERT_EQ(p.plan.launches.size(), 2u);  // 52 heads on 84 SMs: the context is split, and the partials added
  EXPECT_DOUBLE_EQ(p.launch_s, 2 * ModelConstants{}.launch_s);
  // The workspace is written and read back: the footprint is above the minimum bytes.
  EXPECT_GT(p.plan.footprint_bytes, cost_of(llama(Op::kPv, Phase::kAr, 1, 4096)).bytes_min);
}

TEST(KernelModel, WhatItDoesNotModelItSays) {
  const GpuTarget h100 = gpu_target(*find_machine_spec("h100-sxm"), Dtype::kF16);
  const Prediction prefill = predict_hand(llama(Op::kQProj, Phase::kInit, 16, 2048), h100);
  EXPECT_FALSE(prefill.modeled);
  EXPECT_EQ(prefill.variant, "gemm_wgmma_128x128");
  EXPECT_NE(prefill.reason.find("not modeled"), std::string::npos) << prefill.reason;
  // Decode kernels are DRAM-bound everywhere: modeled on Hopper too.
  EXPECT_TRUE(predict_hand(llama(Op::kQProj, Phase::kAr, 1, 512), h100).modeled);
  // Prefill pv (B stored [K x N]) stays on mma.sync on Hopper, whose rate the model does not know.
  const Prediction pv = predict_hand(llama(Op::kPv, Phase::kInit, 1, 512), h100);
  EXPECT_FALSE(pv.modeled);
  EXPECT_NE(pv.reason.find("mma.sync"), std::string::npos) << pv.reason;
  GpuTarget volta = a40();
  volta.sm = 70;
  EXPECT_NE(predict_hand(llama(Op::kQProj, Phase::kAr, 1, 512), volta).reason.find("sm_80"), std::string::npos);
  EXPECT_THROW(plan_variant("gemm_wgmma_128x128", linear(1, 64, 512), a40()), std::invalid_argument);
}

TEST(KernelModel, AllowVariantsKeepsHandToTheNamedOnes) {
  const GemmProblem q = llama(Op::kQProj, Phase::kAr, 1, 512);
  const std::vector<std::string> tiles = {"gemm_mma_64x64"}, none = {};
  EXPECT_EQ(hand_variant(q, 86, 84, &tiles), "gemm_mma_64x64");
  const Prediction fallback = predict_hand(q, a40(), {}, &tiles);
  ASSERT_TRUE(fallback.modeled) << fallback.reason;
  EXPECT_EQ(fallback.variant, "gemm_mma_64x64");
  // A 64-row tile for one row multiplies 63 rows of zeros; the weight's bytes still decide the time.
  EXPECT_DOUBLE_EQ(fallback.plan.tensor_flops, 64.0 * static_cast<double>(cost_of(q).flops));
  EXPECT_EQ(fallback.bound, "dram");
  const Prediction nothing = predict_hand(q, a40(), {}, &none);
  EXPECT_FALSE(nothing.modeled);
  EXPECT_NE(nothing.reason.find("left out by --allow-variants (gemv_mma_splitk, gemv_mma_pipe, gemm_mma_64x64)"),
            std::string::npos)
      << nothing.reason;
}

TEST(KernelModel, AContextNotAMultipleOf8GoesToTheWarpRangeKernel) {
  // qk at s = 100: 13 tiles of 8 keys per head, 52 heads on 84 SMs of at most 8 resident blocks; K read once.
  const GemmProblem qk = llama(Op::kQk, Phase::kAr, 1, 100);
  const Prediction p = predict_hand(qk, a40());
  ASSERT_TRUE(p.modeled) << p.reason;
  EXPECT_EQ(p.variant, "qk_decode_pipe");
  EXPECT_EQ(p.plan.launches.front().blocks, (52 * 13 + 7) / 8);  // fewer tiles than warps: one tile a warp
  EXPECT_EQ(p.bound, "dram");
  EXPECT_DOUBLE_EQ(p.plan.dram_bytes, static_cast<double>(cost_of(qk).bytes_min));
  // A device with other limits (the emulator's: no register file) sizes the grid by them.
  GpuTarget small = a40();
  small.sm_count = 3;
  small.limits = ResidencyLimits{1536, 16, 100 * 1024, 0, 0};
  EXPECT_EQ(plan_variant("qk_decode_pipe", qk, small).launches.front().blocks, 3 * 2);  // 48 KiB a block: 2 fit
}

TEST(KernelModel, ATinyProblemIsLaunchBound) {
  const Prediction p = predict_hand(linear(1, 64, 512), a40());
  ASSERT_TRUE(p.modeled) << p.reason;
  EXPECT_EQ(p.bound, "launch");
}

// Over every point of every phase, for Llama 33B and a grouped-query model, fp16 and bf16, on every GPU the project
// knows: a predicted achieved point never lies above the roofline's bound (its DRAM bytes are at least the minimum,
// its tensor work at least the FLOPs), and on the sm_8x GPUs every point has one.
TEST(KernelModel, NoPredictedPointLiesAboveTheBound) {
  SweepSpec sweep = default_sweep();
  sweep.phases = all_phases();
  sweep.dtypes = {Dtype::kF16, Dtype::kBF16};
  const ModelConfig gqa = parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "gqa");
  for (const Plan& plan : {make_plan(resolve_model("llama-33b"), sweep), make_plan(gqa, sweep)}) {
    for (const MachineSpec& spec : machine_specs()) {
      std::size_t modeled = 0;
      for (const PlannedPoint& point : plan.points) {
        const Prediction p = predict_hand(point.problem, gpu_target(spec, point.dtype));
        if (!p.modeled) {
          EXPECT_FALSE(p.reason.empty());
          continue;
        }
        ++modeled;
        const double achieved = static_cast<double>(point.cost.flops) / p.time_s;
        EXPECT_LE(achieved, attainable(spec.roof(point.dtype), point.cost.intensity()) * (1 + 1e-12))
            << spec.short_name << ": " << point.problem.key();
        EXPECT_GE(p.plan.dram_bytes, static_cast<double>(point.cost.bytes_min)) << point.problem.key();
        EXPECT_GT(p.plan.wave_efficiency, 0.0);
        EXPECT_LE(p.plan.wave_efficiency, 1.0);
      }
      if (spec.sm_major == 8) {
        EXPECT_EQ(modeled, plan.points.size()) << spec.short_name;
      }
    }
  }
}

}  // namespace
}  // namespace roofline

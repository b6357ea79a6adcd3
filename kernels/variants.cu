// The table of hand-written GEMM-shaped variants. For each problem `hand` takes, among the variants built for the GPU
// that support and suit it, the one of lowest rank; a variant named with --impl (or --allow-variants) need only
// support it. The table is kept in rank order.
//
// The ranks are data, and say where they come from: these come from reading the kernels, since no GPU run has
// measured any of them yet. Within a family the older kernel ranks first (its successor, written to be faster, is
// measured beside it by the runbook's comparison, docs/measuring.md); when a measured run shows a successor correct and
// faster, its rank moves up here, and the comment beside it names that run's result folder (scripts/rank_variants.py
// judges the pairs and writes that comment).
//
// Adding a variant: its kernel file kernels/<name>.cu and header kernels/<name>.cuh (the file named after its
// variants), a row here, the file in kernels/CMakeLists.txt, its rules in tests/kernels/test_sass.py (tensor cores,
// pipelining), and a line in docs/architecture.md; the emulated, GPU and bench tests find it in this table.
#include <algorithm>

#include "kernels/gemm_mma.cuh"
#include "kernels/gemm_mma_w64.cuh"
#include "kernels/gemm_wgmma.cuh"
#include "kernels/gemm_wgmma_128x256.cuh"
#include "kernels/gemv_mma.cuh"
#include "kernels/gemv_mma_pipe.cuh"
#include "kernels/pv_decode_fused.cuh"
#include "kernels/pv_decode_split.cuh"
#include "kernels/qk_decode_pipe.cuh"
#include "kernels/variants.cuh"

namespace kernels {
namespace {

GemmVariant ranked(GemmVariant v, int rank) {
  v.rank = rank;
  return v;
}

}  // namespace

const std::vector<GemmVariant>& gemm_variants() {
  static const std::vector<GemmVariant> variants = [] {
    std::vector<GemmVariant> table = {
        // Decode linears (M = b <= 64).
        ranked(gemv_mma_splitk_variant(), 10),
        ranked(gemv_mma_pipe_variant(), 11),  // b <= 16: cp.async ring, stream-K persistent grid (not yet measured)
        // Decode qk (M = 1, K = head_dim).
        ranked(gemv_mma_wide_variant(), 20),
        ranked(qk_decode_pipe_variant(),
               21),  // warps own 8-key tiles; a KV head's query heads as M rows (not measured)
        // Decode pv (M = 1).
        ranked(pv_decode_split_variant(), 30),
        ranked(pv_decode_fused_variant(), 31),  // the pipelined stream-K body; KV heads read once (not yet measured)
        // Prefill on Hopper (sm_90a), B stored [N x K].
        ranked(gemm_wgmma_128x128_variant(), 40),
        ranked(gemm_wgmma_128x256_variant(), 41),               // 128x256 tiles, setmaxnreg (not yet measured)
        ranked(gemm_wgmma_128x256_c2_variant(), 42),            // in 2x1 clusters, B multicast (not yet measured)
        ranked(gemm_wgmma_128x256_c2_tma_store_variant(), 43),  // and a TMA-store epilogue (not yet measured)
        // Prefill on every architecture, both B layouts.
        ranked(gemm_mma_128x128_variant(), 50),       // where its tiles fill the GPU
        ranked(gemm_mma_64x64_variant(), 51),         // everything else
        ranked(gemm_mma_w64_128x128_variant(), 52),   // 64x64 warp tiles, BK = 64 (not yet measured)
        ranked(gemm_wgmma_128x128_kn_variant(), 53),  // Hopper, B stored [K x N]: transposed-B wgmma (not yet measured)
    };
    std::stable_sort(table.begin(), table.end(),
                     [](const GemmVariant& a, const GemmVariant& b) { return a.rank < b.rank; });
    return table;
  }();
  return variants;
}

}  // namespace kernels

// The table of hand-written GEMM-shaped variants, in the order `hand` prefers them: the first that supports and
// suits a problem is picked. Adding a kernel is adding a row.
#include "kernels/attention_decode.cuh"
#include "kernels/gemm_mma.cuh"
#include "kernels/gemm_mma_wide.cuh"
#include "kernels/gemm_wgmma.cuh"
#include "kernels/gemm_wgmma_wide.cuh"
#include "kernels/gemv_mma.cuh"
#include "kernels/gemv_mma_pipe.cuh"
#include "kernels/variants.cuh"

namespace kernels {

const std::vector<GemmVariant>& gemm_variants() {
  static const std::vector<GemmVariant> variants = {
      gemv_mma_splitk_variant(),     // decode linears
      gemv_mma_wide_variant(),       // decode qk
      pv_decode_split_variant(),     // decode pv
      gemm_wgmma_128x128_variant(),  // prefill on Hopper (sm_90a)
      gemm_mma_128x128_variant(),    // prefill, large
      gemm_mma_64x64_variant(),      // prefill, everything else
      // Issue 13's successors, measured beside the kernels above; `hand` picks them only once they move up.
      gemv_mma_pipe_variant(),                    // decode linears, b <= 16: cp.async ring, stream-K persistent grid
      pv_decode_fused_variant(),                  // decode pv: the same pipeline; a KV head's query heads as M rows
      qk_decode_pipe_variant(),                   // decode qk: warps own 8-key tiles; a KV head's query heads as M rows
      gemm_mma_w64_128x128_variant(),             // prefill: 64x64 warp tiles, BK = 64, precomputed copies
      gemm_wgmma_128x256_variant(),               // prefill on Hopper, B [N x K]: 128x256 tiles, setmaxnreg
      gemm_wgmma_128x128_kn_variant(),            // prefill on Hopper, B [K x N] (pv): wgmma's transposed-B mode
      gemm_wgmma_128x256_c2_variant(),            // prefill on Hopper: 128x256 in 2x1 clusters, B multicast
      gemm_wgmma_128x256_c2_tma_store_variant(),  // and with a TMA-store epilogue
  };
  return variants;
}

}  // namespace kernels

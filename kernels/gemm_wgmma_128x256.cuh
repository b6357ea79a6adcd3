// The Hopper GEMMs of gemm_wgmma_128x256.cu (sm_90a only): one warp-specialized body with setmaxnreg, at 128x256 tiles
// for B stored [N x K] (alone, or in 2x1 clusters sharing B through TMA multicast, with the register epilogue or a
// TMA-store one), and at 128x128 tiles for B stored [K x N] through wgmma's transposed-B mode.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant gemm_wgmma_128x256_variant();
GemmVariant gemm_wgmma_128x128_kn_variant();
GemmVariant gemm_wgmma_128x256_c2_variant();
GemmVariant gemm_wgmma_128x256_c2_tma_store_variant();

}  // namespace kernels

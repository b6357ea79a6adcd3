// Issue 13's Hopper GEMMs beside gemm_wgmma (sm_90a only): 128x256 tiles with setmaxnreg for B stored [N x K], and
// the transposed-B mode for B stored [K x N] (pv at prefill); the 128x256 kernel in clusters of two blocks sharing
// B through TMA multicast, with the register epilogue and with a TMA-store one.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant gemm_wgmma_128x256_variant();
GemmVariant gemm_wgmma_128x128_kn_variant();
GemmVariant gemm_wgmma_128x256_c2_variant();
GemmVariant gemm_wgmma_128x256_c2_tma_store_variant();

}  // namespace kernels

// Tensor-core GEMM for the prefill operators with 64x64 warp tiles and BK = 64 (issue 13), beside gemm_mma.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

// Tile 128x128x64, 4 warps of 64x64, 3 stages (96 KiB of shared memory).
GemmVariant gemm_mma_w64_128x128_variant();

}  // namespace kernels

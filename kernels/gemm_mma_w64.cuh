// gemm_mma_w64: the prefill tensor-core GEMM with 64x64 warp tiles and BK = 64.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

// Tile 128x128x64, 4 warps of 64x64, 3 stages (96 KiB of shared memory).
GemmVariant gemm_mma_w64_128x128_variant();

}  // namespace kernels

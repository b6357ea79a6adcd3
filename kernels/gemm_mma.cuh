// Tensor-core GEMM for the prefill operators (linears; qk and pv with the score matrix materialized), sm_80 and up.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

// The variants of this family (rows of the variants table): tile 128x128 (8 warps) and 64x64 (4 warps).
GemmVariant gemm_mma_128x128_variant();
GemmVariant gemm_mma_64x64_variant();

}  // namespace kernels

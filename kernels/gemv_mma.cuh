// Decode-time GEMMs with few rows (M = b <= 64): the decode linears, and qk over the KV cache (M = 1 per head).
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant gemv_mma_splitk_variant();  // long K (the linears): 8 warps split K, block covers 16 columns
GemmVariant gemv_mma_wide_variant();    // short K (qk, K = head_dim): 4 warps across N, 2 across K

}  // namespace kernels

// Decode linears (M = b <= 64), pipelined and stream-K balanced: gemv_mma_splitk's successor (gemv_mma_pipe.cu).
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant gemv_mma_pipe_variant();

}  // namespace kernels

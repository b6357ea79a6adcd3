// qk_decode_pipe: decode attention's qk, warps owning 8-key tiles of all of head_dim through a cp.async ring, a
// grouped-query model's query heads as the M rows so that each KV head is read once.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant qk_decode_pipe_variant();

}  // namespace kernels

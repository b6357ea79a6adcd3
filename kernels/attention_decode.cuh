// Decode attention's pv over the KV cache: o = p * V per (batch, head), one query token.
// (Decode qk is a GEMM with M = 1 and B = the head's K cache stored [s x d]: gemv_mma_wide runs it, and
// qk_decode_pipe below is its successor.)
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant pv_decode_split_variant();
// Its successor (issue 13, pv_decode_fused.cu): pipelined stream-K, reduce in the last block, and a grouped-query
// model's query heads as the M rows of one tile, so each KV head is read once.
GemmVariant pv_decode_fused_variant();
// Decode qk (issue 13, qk_decode_pipe.cu): gemv_mma_wide's successor; warps own 8-key tiles of all of head_dim,
// pipelined through a cp.async ring, a KV head's query heads as the M rows, so each KV head is read once.
GemmVariant qk_decode_pipe_variant();

}  // namespace kernels

// Decode attention's pv over the KV cache: o = p * V per (batch, head), one query token.
// (Decode qk is a GEMM with M = 1 and B = the head's K cache stored [s x d]: gemv_mma runs it.)
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant pv_decode_split_variant();
// Its successor (issue 13, pv_decode_fused.cu): pipelined stream-K, reduce in the last block, and a grouped-query
// model's query heads as the M rows of one tile, so each KV head is read once.
GemmVariant pv_decode_fused_variant();

}  // namespace kernels

// Decode attention's pv over the KV cache: o = p * V per (batch, head), one query token.
// (Decode qk is a GEMM with M = 1 and B = the head's K cache stored [s x d]: gemv_mma runs it.)
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant pv_decode_split_variant();

}  // namespace kernels

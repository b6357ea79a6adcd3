// pv_decode_split: decode attention's pv, O[1 x d] = P[1 x s] * V[s x d] per (batch, head), V the head's slice of the
// KV cache; the context split across blocks, the partial sums added by a second launch.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant pv_decode_split_variant();

}  // namespace kernels

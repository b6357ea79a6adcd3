// pv_decode_fused: decode attention's pv on the pipelined stream-K body (decode_pipeline.cuh), the split tiles
// reduced by their last block, a grouped-query model's query heads as the M rows of one tile so that each KV head is
// read once.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant pv_decode_fused_variant();

}  // namespace kernels

// The table of hand-written GEMM-shaped variants (linears and attention), in rank order: `hand` takes the first that
// supports and suits a problem (variants.cu says where the ranks come from).
#pragma once

#include <vector>

#include "kernels/gemm_args.cuh"

namespace kernels {

const std::vector<GemmVariant>& gemm_variants();

}  // namespace kernels

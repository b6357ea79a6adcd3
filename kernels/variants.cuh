// The table of hand-written GEMM-shaped variants (linears and attention), in the order `hand` prefers them.
#pragma once

#include <vector>

#include "kernels/gemm_args.cuh"

namespace kernels {

const std::vector<GemmVariant>& gemm_variants();

}  // namespace kernels

// The table of hand-written GEMM-shaped variants (linears and attention). Issue 4 fills it; until then it is empty
// and every `hand` point is reported as skipped with the reason "no hand-written variant supports ...".
#pragma once

#include <vector>

#include "kernels/gemm_args.cuh"

namespace kernels {

const std::vector<GemmVariant>& gemm_variants();

}  // namespace kernels

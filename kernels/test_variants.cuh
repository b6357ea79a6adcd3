// Variants that exist to prove the harness right (tests/reliability): a kernel slightly wrong, one that faults, and
// one whose workspace cannot be allocated. bench/ adds them to the table only when BENCH_LLAMA_TEST_VARIANTS=1, and
// `hand` never picks them (suits() is false).
#pragma once

#include <vector>

#include "kernels/gemm_args.cuh"

namespace kernels {

const std::vector<GemmVariant>& test_gemm_variants();

}  // namespace kernels

// The hand-written variants bench_llama knows: the kernels' table, plus the test-only variants when the environment
// says BENCH_LLAMA_TEST_VARIANTS=1 (for the reliability tests; never picked by `hand`).
#pragma once

#include <vector>

#include "kernels/gemm_args.cuh"

namespace bench {

const std::vector<kernels::GemmVariant>& variants();

}  // namespace bench

// A roofline problem as the kernels take it: kernels::GemmArgs from a roofline::GemmProblem. No CUDA call here (the
// CUDA headers only, for the kernels' types), so the emulated kernel tests share it with bench_llama.
#pragma once

#include "kernels/gemm_args.cuh"
#include "roofline/problem.hpp"

namespace bench {

kernels::Element element_of(roofline::Dtype dtype);

// The problem as kernel arguments, without pointers (for asking a variant's supports() before allocating).
kernels::GemmArgs gemm_args(const roofline::GemmProblem& problem);

// The problem as kernel arguments with its operands at a, b and c.
kernels::GemmArgs gemm_args(const roofline::GemmProblem& problem, void* a, void* b, void* c);

}  // namespace bench

// Device buffers for one GemmProblem: A and B filled with scaled N(0,1) values (never zeros), C poisoned with NaN,
// and, for batched problems, the per-(batch, head) pointer arrays cuBLAS's batched GEMM takes.
#pragma once

#include <cstdint>

#include "bench/gpu/cuda_raii.hpp"
#include "bench/point/problem_args.hpp"
#include "kernels/gemm_args.cuh"
#include "roofline/problem.hpp"

namespace bench {

// The run's fills start here: a point's buffers use kFillSeed + its measurement's index, the cuBLAS ceiling's
// kFillSeed itself, so every run fills the same values.
inline constexpr std::uint64_t kFillSeed = 0x5EED;

struct ProblemBuffers {
  // Allocates (throws CudaError, out_of_memory() on failure) and fills on `stream`. The seed fixes the inputs so a
  // hand kernel and cuBLAS see the same values.
  ProblemBuffers(const roofline::GemmProblem& problem, cudaStream_t stream, std::uint64_t seed);

  kernels::GemmArgs args() const;  // the problem with this object's pointers
  void poison_output(cudaStream_t stream);

  roofline::GemmProblem problem;
  DeviceBuffer a, b, c;
  DeviceBuffer a_ptrs, b_ptrs, c_ptrs;  // const void*[batch * heads], for cublasGemmBatchedEx
};

}  // namespace bench

// One point's measurement, in the order llm.c keeps: buffers, the cuBLAS reference, the output poisoned, the kernel,
// validation against the reference, then timing (point_timing.hpp) and, with --counters, the counter pass.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "bench/gpu/counters.hpp"
#include "bench/rows/measurement.hpp"
#include "bench/timing/point_timing.hpp"
#include "kernels/gemm_args.cuh"
#include "roofline/problem.hpp"

namespace bench {

// What a point is measured with: the run's stream, cuBLAS handle, timer and (with --counters) counter profiler.
struct PointTools {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  PointTimer* timer = nullptr;
  CounterProfiler* counters = nullptr;  // null without --counters, or when the GPU refused them
  const L2Flusher* flusher = nullptr;   // cold mode: the counter pass runs in the same L2 state as the timing
  int sm_count = 0;
  std::int64_t free_memory_bytes = 0;  // at the start of the run: bounds the operand copies of batched samples
};

// Measures `problem` with cuBLAS (`variant` null) or with a hand-written variant. `seed` fills the operands; `name`
// labels a warning. An invalid output is a Measurement with status invalid; CUDA failures throw CudaError.
Measurement measure_point(const roofline::GemmProblem& problem, std::uint64_t seed, const kernels::GemmVariant* variant,
                          const StopRule& rule, const std::string& name, const PointTools& tools);

}  // namespace bench

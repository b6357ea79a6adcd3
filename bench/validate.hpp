// Validation of a hand-written kernel against cuBLAS on the same inputs (DESIGN.md section 4): the output is
// poisoned (NaN) before the kernel runs, so an element it forgets to write fails, and the relative error
// ||out - ref|| / ||ref|| must be within the dtype's tolerance.
#pragma once

#include <cuda_runtime_api.h>

#include "bench/problem_buffers.hpp"

namespace bench {

// ||out - ref|| / ||ref|| over `count` elements; NaN if `out` holds a NaN (an unwritten, poisoned element).
double relative_error(const void* out, const void* ref, std::int64_t count, kernels::Element element,
                      cudaStream_t stream);

// The largest relative error a correct kernel may have. Outputs are about N(0,1) (ProblemBuffers scales B by
// 1/sqrt(K)), so the error is dominated by rounding the output: about 3e-4 (rms) for fp16 and 2.3e-3 for bf16. The
// tolerance is several times that, and far below what a wrong kernel produces (a skipped 16-wide slice of K = 128
// already gives 0.35).
double tolerance(roofline::Dtype dtype);

}  // namespace bench

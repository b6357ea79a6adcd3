// Validation of a hand-written kernel against cuBLAS on the same inputs (DESIGN.md section 4): the output is
// poisoned (NaN) before the kernel runs, so an element it forgets to write fails, and the relative error
// ||out - ref|| / ||ref|| must be within the dtype's tolerance.
#pragma once

#include <cuda_runtime_api.h>

#include "bench/point/problem_buffers.hpp"
#include "bench/point/tolerance.hpp"

namespace bench {

// ||out - ref|| / ||ref|| over `count` elements; NaN if `out` holds a NaN (an unwritten, poisoned element).
double relative_error(const void* out, const void* ref, std::int64_t count, kernels::Element element,
                      cudaStream_t stream);

}  // namespace bench

// Buffer fills for the harness: random inputs, poisoned outputs, and the norms validation needs.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/element.cuh"

namespace kernels {

// data[i] = scale * N(0, 1), from a counter-based hash of (seed, i): the same seed gives the same buffer on any GPU
// and launch configuration. Never zeros, so a kernel that skips work cannot pass validation.
cudaError_t fill_normal(void* data, std::int64_t count, Element element, float scale, std::uint64_t seed,
                        cudaStream_t stream);

// Every element set to NaN, so an output element a kernel forgets to write fails validation.
cudaError_t poison(void* data, std::int64_t count, Element element, cudaStream_t stream);

// Accumulates sum((out - ref)^2) and sum(ref^2) in double into sums[0] and sums[1] (zero them first).
// A NaN in `out` makes sums[0] NaN.
cudaError_t squared_error(const void* out, const void* ref, std::int64_t count, Element element, double* sums,
                          cudaStream_t stream);

}  // namespace kernels

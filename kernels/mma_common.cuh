// What the tensor-core kernels share beside the PTX they use (kernels/ptx/mma.cuh, kernels/ptx/cp_async.cuh): the
// 16-bit pair type of an element type, and the addressing of a (batch, head) matrix.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/gemm_args.cuh"
#include "kernels/ptx/cp_async.cuh"
#include "kernels/ptx/mma.cuh"

namespace kernels::detail {

template <class T>
struct MmaType;
template <>
struct MmaType<__half> {
  using pair = __half2;
  static __device__ __forceinline__ pair pack(float lo, float hi) { return __floats2half2_rn(lo, hi); }
};
template <>
struct MmaType<__nv_bfloat16> {
  using pair = __nv_bfloat162;
  static __device__ __forceinline__ pair pack(float lo, float hi) { return __floats2bfloat162_rn(lo, hi); }
};

// The first element of matrix (batch, head) of an operand, as a byte pointer (elements are 2 bytes).
__device__ __forceinline__ const char* matrix_base(const MatrixArg& m, std::int64_t z, std::int64_t heads) {
  const std::int64_t batch = z / heads, head = z % heads;
  return static_cast<const char*>(m.data) + 2 * (batch * m.batch_stride + (head / m.head_group) * m.head_stride);
}

}  // namespace kernels::detail

// Element types the kernels take. kernels/ depends on nothing of the project, so it has its own small enum;
// bench/ maps roofline::Dtype onto it.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace kernels {

enum class Element { kF16, kBF16, kF32 };

inline int element_bytes(Element e) { return e == Element::kF32 ? 4 : 2; }

// Conversions every kernel file shares.
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(float v) { return v; }

template <class T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}

// The 16-bit element whose bits are `bits`: a bit cast. Reading packed elements by casting a uint4's address to a T*
// instead is undefined behaviour (a T is not a uint4), which host compilers exploit: the emulator's g++ drops the load.
template <class T>
__device__ __forceinline__ T from_bits(unsigned short bits);
template <>
__device__ __forceinline__ __half from_bits<__half>(unsigned short bits) {
  return __ushort_as_half(bits);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_bits<__nv_bfloat16>(unsigned short bits) {
  return __ushort_as_bfloat16(bits);
}

}  // namespace kernels

// Force-included (-include emulator/cuda_shim.hpp) into device code compiled as host C++ for the emulator: what nvcc
// provides and a host compiler lacks. CUDA's own headers supply the types (dim3, __half, cudaError_t) and the host
// conversions; this header spells away the qualifiers nvcc understands, makes the built-in index variables
// thread-locals that the scheduler sets, and defines the intrinsics the emulator implements. It defines CUDA_EMU, so
// that device code can tell an emulated compile from a device one.
#pragma once

#if defined(__CUDACC__)
#error "emulator/cuda_shim.hpp is for a host C++ compile of device code, not for nvcc"
#endif

#define CUDA_EMU 1

// Launch bounds are register-allocation hints; a host compile has no registers to allocate.
#define __launch_bounds__(...)
#define __grid_constant__
// A plain __shared__ would become a variable of each thread (the host compiler has no shared memory): device code
// that the emulator runs declares shared memory through cuda_emu::static_shared / dynamic_shared instead, and a
// forgotten __shared__ fails to compile with this name in the message.
#define __shared__ __shared___is_not_emulated__declare_shared_memory_through_cuda_emu
#define __constant__ __constant___is_not_emulated

// threadIdx, blockIdx, blockDim, gridDim and warpSize: one per OS thread, set by the scheduler before it resumes a
// CUDA thread (all of a launch's CUDA threads are fibers of one OS thread).
#define __STORAGE__ extern thread_local
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <device_launch_parameters.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "emulator/device_api.hpp"
#include "emulator/emulator.hpp"

// ---- barriers and warp collectives ------------------------------------------------------------------------------

inline void __syncthreads(cuda_emu::Site site = cuda_emu::Site::current()) { cuda_emu::syncthreads(site); }
inline void __syncwarp(unsigned mask = 0xFFFFFFFFu, cuda_emu::Site site = cuda_emu::Site::current()) {
  cuda_emu::syncwarp(mask, site);
}

namespace cuda_emu::detail {
// A shuffle of a 4- or 8-byte value: 8-byte values move as two 32-bit shuffles, as on the GPU.
template <class T>
T shuffle_value(Shuffle mode, unsigned mask, T value, int lane_or_delta, int width, Site site) {
  static_assert(std::is_trivially_copyable_v<T> && (sizeof(T) == 4 || sizeof(T) == 8), "4- or 8-byte values");
  std::uint32_t words[sizeof(T) / 4];
  std::memcpy(words, &value, sizeof(T));
  for (auto& w : words) w = shfl(mode, mask, w, lane_or_delta, width, site);
  T out;
  std::memcpy(&out, words, sizeof(T));
  return out;
}
}  // namespace cuda_emu::detail

template <class T>
T __shfl_sync(unsigned mask, T value, int lane, int width = 32, cuda_emu::Site site = cuda_emu::Site::current()) {
  return cuda_emu::detail::shuffle_value(cuda_emu::Shuffle::kIndex, mask, value, lane, width, site);
}
template <class T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = 32,
                   cuda_emu::Site site = cuda_emu::Site::current()) {
  return cuda_emu::detail::shuffle_value(cuda_emu::Shuffle::kDown, mask, value, static_cast<int>(delta), width, site);
}
template <class T>
T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = 32,
                 cuda_emu::Site site = cuda_emu::Site::current()) {
  return cuda_emu::detail::shuffle_value(cuda_emu::Shuffle::kUp, mask, value, static_cast<int>(delta), width, site);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = 32,
                  cuda_emu::Site site = cuda_emu::Site::current()) {
  return cuda_emu::detail::shuffle_value(cuda_emu::Shuffle::kXor, mask, value, lane_mask, width, site);
}

inline void __threadfence() { cuda_emu::threadfence(); }
inline void __threadfence_block() { cuda_emu::threadfence(); }
[[noreturn]] inline void __trap(cuda_emu::Site site = cuda_emu::Site::current()) { cuda_emu::trap(site); }
inline void __nanosleep(unsigned ns) { cuda_emu::nanosleep(ns); }
inline std::size_t __cvta_generic_to_shared(const void* p, cuda_emu::Site site = cuda_emu::Site::current()) {
  return cuda_emu::shared_address(p, site);
}

// ---- atomics: the emulator runs one CUDA thread at a time, but launches may run on several OS threads --------------

namespace cuda_emu::detail {
template <class T>
T atomic_cas(T* address, T compare, T value) {
  __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return compare;  // the old value, whether or not it matched
}
template <class T>
T atomic_add(T* address, T value) {
  if constexpr (std::is_integral_v<T>) {
    return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
  } else {  // floating point: a compare-and-swap loop on the bits
    using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    auto* word = reinterpret_cast<Bits*>(address);
    Bits seen = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    for (;;) {
      T old;
      std::memcpy(&old, &seen, sizeof(T));
      const T sum = old + value;
      Bits next;
      std::memcpy(&next, &sum, sizeof(T));
      if (__atomic_compare_exchange_n(word, &seen, next, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return old;
    }
  }
}
template <class T>
T atomic_max(T* address, T value) {
  T seen = __atomic_load_n(address, __ATOMIC_SEQ_CST);
  while (seen < value &&
         !__atomic_compare_exchange_n(address, &seen, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
  return seen;
}
}  // namespace cuda_emu::detail

// The overloads CUDA declares (no templates: arguments convert as they do for nvcc).
inline int atomicCAS(int* a, int c, int v) { return cuda_emu::detail::atomic_cas(a, c, v); }
inline unsigned atomicCAS(unsigned* a, unsigned c, unsigned v) { return cuda_emu::detail::atomic_cas(a, c, v); }
inline unsigned long long atomicCAS(unsigned long long* a, unsigned long long c, unsigned long long v) {
  return cuda_emu::detail::atomic_cas(a, c, v);
}
inline int atomicExch(int* a, int v) { return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicExch(unsigned* a, unsigned v) { return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicExch(unsigned long long* a, unsigned long long v) {
  return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);
}
inline int atomicAdd(int* a, int v) { return cuda_emu::detail::atomic_add(a, v); }
inline unsigned atomicAdd(unsigned* a, unsigned v) { return cuda_emu::detail::atomic_add(a, v); }
inline unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) {
  return cuda_emu::detail::atomic_add(a, v);
}
inline float atomicAdd(float* a, float v) { return cuda_emu::detail::atomic_add(a, v); }
inline double atomicAdd(double* a, double v) { return cuda_emu::detail::atomic_add(a, v); }
inline int atomicMax(int* a, int v) { return cuda_emu::detail::atomic_max(a, v); }
inline unsigned atomicMax(unsigned* a, unsigned v) { return cuda_emu::detail::atomic_max(a, v); }
inline unsigned long long atomicMax(unsigned long long* a, unsigned long long v) {
  return cuda_emu::detail::atomic_max(a, v);
}

// ---- cache-hinted loads and stores: hints change where data is cached, never its value --------------------------

template <class T>
T __ldg(const T* p) {
  return *p;
}
template <class T>
T __ldcg(const T* p) {
  return *p;
}
template <class T>
T __ldca(const T* p) {
  return *p;
}
template <class T>
T __ldcs(const T* p) {
  return *p;
}
template <class T>
T __ldlu(const T* p) {
  return *p;
}
template <class T>
T __ldcv(const T* p) {
  return *p;
}
template <class T>
void __stcg(T* p, T v) {
  *p = v;
}
template <class T>
void __stcs(T* p, T v) {
  *p = v;
}
template <class T>
void __stwb(T* p, T v) {
  *p = v;
}
template <class T>
void __stwt(T* p, T v) {
  *p = v;
}

// ---- integer and math functions the host lacks --------------------------------------------------------------------

// CUDA's math API has min and max for every integer and floating type in the global namespace.
inline int min(int a, int b) { return a < b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }

// __byte_perm(x, y, s) (prmt.b32): byte i of the result is byte (s >> 4i) & 7 of the 8 bytes y:x.
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  const std::uint64_t bytes = (static_cast<std::uint64_t>(y) << 32) | x;
  unsigned r = 0;
  for (int i = 0; i < 4; ++i) r |= static_cast<unsigned>((bytes >> (8 * ((s >> (4 * i)) & 7))) & 0xFF) << (8 * i);
  return r;
}
// cos(pi x), exact where it is 0 or +-1 (at halves and integers), as CUDA's is; elsewhere within a few ulp of it.
inline double cospi(double x) {
  const double r = std::fmod(std::fabs(x), 2.0);  // cos(pi x) has period 2 and is even
  if (r == 0.5 || r == 1.5) return 0.0;
  if (r == 0.0) return 1.0;
  if (r == 1.0) return -1.0;
  return std::cos(3.14159265358979323846 * r);
}
inline float cospif(float x) { return static_cast<float>(cospi(static_cast<double>(x))); }

// Fills for the harness. Grid-stride loops: one launch covers any size, and the hash makes the values independent of
// the launch shape.
#include <cmath>

#include "kernels/fill.cuh"
#include "kernels/launch.cuh"

namespace kernels {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ std::uint64_t mix(std::uint64_t x) {
  // splitmix64 finaliser: a good 64-bit hash of a counter.
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__device__ __forceinline__ float normal_at(std::uint64_t seed, std::int64_t i) {
  // Box-Muller from two 24-bit uniforms in (0, 1].
  const std::uint64_t h = mix(seed ^ mix(static_cast<std::uint64_t>(i)));
  const float u1 = (static_cast<float>(h >> 40) + 1.0f) * (1.0f / 16777216.0f);
  const float u2 = static_cast<float>((h >> 16) & 0xFFFFFF) * (1.0f / 16777216.0f);
  return sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
}

template <class T>
__global__ void fill_normal_kernel(T* data, std::int64_t count, float scale, std::uint64_t seed) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    data[i] = from_float<T>(scale * normal_at(seed, i));
  }
}

template <class T>
__global__ void poison_kernel(T* data, std::int64_t count) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    data[i] = from_float<T>(nanf(""));
  }
}

template <class T>
__global__ void squared_error_kernel(const T* out, const T* ref, std::int64_t count, double* sums) {
  double err = 0, norm = 0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const double r = to_float(ref[i]);
    const double d = static_cast<double>(to_float(out[i])) - r;
    err += d * d;
    norm += r * r;
  }
  // Warp reduction, then one atomic per warp.
  for (int offset = 16; offset > 0; offset /= 2) {
    err += __shfl_down_sync(0xFFFFFFFFu, err, offset);
    norm += __shfl_down_sync(0xFFFFFFFFu, norm, offset);
  }
  if ((threadIdx.x & 31) == 0) {
    atomicAdd(&sums[0], err);
    atomicAdd(&sums[1], norm);
  }
}

unsigned grid_for(std::int64_t count) {
  const std::int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

template <template <class> class Launch, class... Args>
cudaError_t dispatch(Element element, Args... args) {
  switch (element) {
    case Element::kF16:
      return Launch<__half>::run(args...);
    case Element::kBF16:
      return Launch<__nv_bfloat16>::run(args...);
    case Element::kF32:
      return Launch<float>::run(args...);
  }
  return cudaErrorInvalidValue;
}

template <class T>
struct FillLaunch {
  static cudaError_t run(void* data, std::int64_t count, float scale, std::uint64_t seed, cudaStream_t stream) {
    return launch_kernel(fill_normal_kernel<T>, {dim3(grid_for(count)), dim3(kThreads)}, stream, static_cast<T*>(data),
                         count, scale, seed);
  }
};

template <class T>
struct PoisonLaunch {
  static cudaError_t run(void* data, std::int64_t count, cudaStream_t stream) {
    return launch_kernel(poison_kernel<T>, {dim3(grid_for(count)), dim3(kThreads)}, stream, static_cast<T*>(data),
                         count);
  }
};

template <class T>
struct ErrorLaunch {
  static cudaError_t run(const void* out, const void* ref, std::int64_t count, double* sums, cudaStream_t stream) {
    return launch_kernel(squared_error_kernel<T>, {dim3(grid_for(count)), dim3(kThreads)}, stream,
                         static_cast<const T*>(out), static_cast<const T*>(ref), count, sums);
  }
};

}  // namespace

cudaError_t fill_normal(void* data, std::int64_t count, Element element, float scale, std::uint64_t seed,
                        cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  return dispatch<FillLaunch>(element, data, count, scale, seed, stream);
}

cudaError_t poison(void* data, std::int64_t count, Element element, cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  return dispatch<PoisonLaunch>(element, data, count, stream);
}

cudaError_t squared_error(const void* out, const void* ref, std::int64_t count, Element element, double* sums,
                          cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  return dispatch<ErrorLaunch>(element, out, ref, count, sums, stream);
}

}  // namespace kernels

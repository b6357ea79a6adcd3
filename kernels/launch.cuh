// The one way kernels/ launches a kernel and asks about its residency: on a device through the CUDA runtime
// (cudaLaunchKernelEx, with a cluster dimension when one is asked for), under the emulator through the emulator.
// It owns the dynamic shared-memory opt-in (above 48 KiB a kernel must be allowed it, once per kernel and process) and
// the occupancy queries, so that every launch site is one call and the emulator replaces exactly this seam.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace kernels {

struct LaunchShape {
  dim3 grid{1, 1, 1};
  dim3 block{1, 1, 1};
  std::size_t shared_bytes = 0;  // dynamic shared memory
  dim3 cluster{1, 1, 1};         // thread-block cluster (sm_90); 1 x 1 x 1: none
};

namespace detail {

inline constexpr std::size_t kDefaultSharedLimit = 48 * 1024;

// Allows `kernel` `bytes` of dynamic shared memory, once per kernel and process (one device per process): a
// success is remembered, a failure is returned (and cleared from the runtime's last error) every time.
inline cudaError_t allow_shared(const void* kernel, std::size_t bytes) {
  if (bytes <= kDefaultSharedLimit) return cudaSuccess;
  static std::mutex mutex;
  static std::unordered_map<const void*, std::size_t> allowed;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = allowed.find(kernel);
  if (it != allowed.end() && it->second >= bytes) return cudaSuccess;
#if defined(CUDA_EMU)
  const cudaError_t status = ::cuda_emu::set_max_dynamic_shared(kernel, bytes);
#else
  const cudaError_t status =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  if (status != cudaSuccess) cudaGetLastError();
#endif
  if (status == cudaSuccess) allowed[kernel] = bytes;
  return status;
}

}  // namespace detail

// Launches `kernel` with `args` (converted to its parameter types, as <<<>>> does) on `stream`; returns the launch's
// error, and leaves none pending.
template <class... Params, class... Args>
cudaError_t launch_kernel(void (*kernel)(Params...), const LaunchShape& shape, cudaStream_t stream, Args&&... args) {
  const void* key = reinterpret_cast<const void*>(kernel);
  if (const cudaError_t status = detail::allow_shared(key, shape.shared_bytes); status != cudaSuccess) return status;
#if defined(CUDA_EMU)
  ::cuda_emu::LaunchConfig config;
  config.stream = stream;
  config.grid = shape.grid;
  config.block = shape.block;
  config.shared_bytes = shape.shared_bytes;
  config.cluster = shape.cluster;
  return ::cuda_emu::launch(kernel, config, std::forward<Args>(args)...);
#else
  cudaLaunchConfig_t config{};
  config.gridDim = shape.grid;
  config.blockDim = shape.block;
  config.dynamicSmemBytes = shape.shared_bytes;
  config.stream = stream;
  cudaLaunchAttribute cluster{};
  if (shape.cluster.x * shape.cluster.y * shape.cluster.z > 1) {
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = shape.cluster.x;
    cluster.val.clusterDim.y = shape.cluster.y;
    cluster.val.clusterDim.z = shape.cluster.z;
    config.attrs = &cluster;
    config.numAttrs = 1;
  }
  const cudaError_t status = cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
  const cudaError_t pending = cudaGetLastError();  // the launch's own error, cleared so the next call does not see it
  return status != cudaSuccess ? status : pending;
#endif
}

// Blocks of `kernel` resident per SM with `threads` threads and `shared_bytes` of dynamic shared memory (after the
// opt-in it needs), or 0 if the runtime refuses.
template <class... Params>
int resident_blocks(void (*kernel)(Params...), int threads, std::size_t shared_bytes) {
  const void* key = reinterpret_cast<const void*>(kernel);
  if (detail::allow_shared(key, shared_bytes) != cudaSuccess) return 0;
  int blocks = 0;
#if defined(CUDA_EMU)
  if (::cuda_emu::max_active_blocks_per_sm(&blocks, key, threads, shared_bytes) != cudaSuccess) return 0;
#else
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, key, threads, shared_bytes) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
#endif
  return blocks;
}

// Clusters of `shape.cluster` blocks of `kernel` that can be resident at once (a GPC's SMs pair up only within it, so
// this can be below the SMs divided by the cluster size), or 0 if the runtime cannot say (its error cleared). An
// answer is kept for the process (one device per process); a refusal is asked again next time.
template <class... Params>
int resident_clusters(void (*kernel)(Params...), const LaunchShape& shape) {
  const void* key = reinterpret_cast<const void*>(kernel);
  if (detail::allow_shared(key, shape.shared_bytes) != cudaSuccess) return 0;
#if defined(CUDA_EMU)
  return 0;  // clusters are not emulated yet: a variant that needs one refuses under the emulator
#else
  static std::mutex mutex;
  static std::unordered_map<const void*, int> known;
  const std::lock_guard<std::mutex> lock(mutex);
  if (auto it = known.find(key); it != known.end()) return it->second;
  cudaLaunchConfig_t config{};
  config.gridDim = shape.cluster;
  config.blockDim = shape.block;
  config.dynamicSmemBytes = shape.shared_bytes;
  cudaLaunchAttribute cluster{};
  cluster.id = cudaLaunchAttributeClusterDimension;
  cluster.val.clusterDim.x = shape.cluster.x;
  cluster.val.clusterDim.y = shape.cluster.y;
  cluster.val.clusterDim.z = shape.cluster.z;
  config.attrs = &cluster;
  config.numAttrs = 1;
  int clusters = 0;
  if (cudaOccupancyMaxActiveClusters(&clusters, key, &config) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  if (clusters > 0) known[key] = clusters;
  return clusters;
#endif
}

}  // namespace kernels

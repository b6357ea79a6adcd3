// RAII owners of CUDA resources: device buffers, events, streams, cuBLAS handles and CUDA graphs. The only place the
// project calls cudaMalloc. Destructors never throw (a failed free during unwinding is ignored: the context may be
// dead).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <utility>

#include "bench/gpu/cuda_check.hpp"

namespace bench {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::int64_t bytes) : bytes_(bytes) {
    if (bytes > 0) BENCH_LLAMA_CUDA_CHECK(cudaMalloc(&ptr_, static_cast<std::size_t>(bytes)));
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(ptr_, other.ptr_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return ptr_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::int64_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::int64_t bytes_ = 0;
};

class CudaEvent {
 public:
  CudaEvent() { BENCH_LLAMA_CUDA_CHECK(cudaEventCreate(&event_)); }
  ~CudaEvent() { cudaEventDestroy(event_); }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

class CudaStream {
 public:
  CudaStream() { BENCH_LLAMA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~CudaStream() { cudaStreamDestroy(stream_); }
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

// A cuBLAS handle on one stream, with a workspace of its own (kCublasWorkspaceBytes): cuBLAS then never allocates
// inside a CUDA graph capture (warm-mode batches), and every call sees the same workspace size.
inline constexpr std::int64_t kCublasWorkspaceBytes = std::int64_t{32} << 20;

class CublasHandle {
 public:
  // Loads cuBLAS on first use (bench/gpu/cublas_api.hpp); throws CudaError.
  explicit CublasHandle(cudaStream_t stream);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  DeviceBuffer workspace_;  // declared first: destroyed after the handle
  cublasHandle_t handle_ = nullptr;
};

// `launch` called `times` times on `stream`, captured into one CUDA graph (a warm batched sample: one graph launch,
// no per-kernel launch overhead). The constructor throws CudaError if capture fails; the stream is usable afterwards.
class CudaGraph {
 public:
  CudaGraph(const std::function<void(cudaStream_t)>& launch, int times, cudaStream_t stream);
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  void launch(cudaStream_t stream) const;

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace bench

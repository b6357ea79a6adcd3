#include "bench/timing/stream_gate.hpp"

#include "bench/gpu/cuda_check.hpp"
#include "kernels/roofs.cuh"

namespace bench {

StreamGate::StreamGate(std::uint64_t timeout_ns) : timeout_ns_(timeout_ns) {
  BENCH_LLAMA_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&host_), 2 * sizeof(int), cudaHostAllocMapped));
  host_[0] = 1;
  host_[1] = 0;
}

StreamGate::~StreamGate() {
  if (host_) cudaFreeHost(host_);
}

void StreamGate::hold(cudaStream_t stream) {
  __atomic_store_n(&host_[1], 0, __ATOMIC_RELAXED);
  __atomic_store_n(&host_[0], 0, __ATOMIC_RELEASE);
  int* device = nullptr;
  BENCH_LLAMA_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&device), host_, 0));
  const cudaError_t status = kernels::stream_gate(device, device + 1, timeout_ns_, stream);
  if (status != cudaSuccess) release();
  BENCH_LLAMA_CUDA_CHECK(status);
}

// A release store: everything the host did before it is visible to whoever sees the flag (the gate only reads it, but
// on a weakly ordered host, such as a Grace CPU, the store must not be held back either).
void StreamGate::release() { __atomic_store_n(&host_[0], 1, __ATOMIC_RELEASE); }

bool StreamGate::timed_out() const { return __atomic_load_n(&host_[1], __ATOMIC_ACQUIRE) != 0; }

}  // namespace bench

// The two checking macros of the project: every CUDA runtime and cuBLAS call goes through one of them. A failure
// throws CudaError naming the expression, the error and the place; the harness turns it into SkipWithError.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace bench {

class CudaError : public std::runtime_error {
 public:
  CudaError(const std::string& what, bool sticky) : std::runtime_error(what), sticky_(sticky) {}
  // A sticky error (an illegal address, a kernel fault) corrupts the CUDA context: no later call on this device can
  // be trusted, so the run must stop rather than go on to the next point.
  bool sticky() const { return sticky_; }
  // Out of device memory: that point is skipped and the sweep goes on.
  bool out_of_memory() const;

 private:
  bool sticky_;
};

bool is_sticky(cudaError_t status);

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line);

}  // namespace bench

#define BENCH_LLAMA_CUDA_CHECK(expr)                                             \
  do {                                                                           \
    const cudaError_t bench_llama_status_ = (expr);                              \
    if (bench_llama_status_ != cudaSuccess) {                                    \
      ::bench::throw_cuda_error(bench_llama_status_, #expr, __FILE__, __LINE__); \
    }                                                                            \
  } while (0)

#define BENCH_LLAMA_CUBLAS_CHECK(expr)                                             \
  do {                                                                             \
    const cublasStatus_t bench_llama_status_ = (expr);                             \
    if (bench_llama_status_ != CUBLAS_STATUS_SUCCESS) {                            \
      ::bench::throw_cublas_error(bench_llama_status_, #expr, __FILE__, __LINE__); \
    }                                                                              \
  } while (0)

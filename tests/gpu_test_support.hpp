// For GPU tests (label gpu): why a test cannot run here, so that it skips with that reason instead of failing.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace bench::testing_support {

// Empty when a CUDA device is usable; otherwise the reason, as the skip message.
inline std::string no_gpu_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status == cudaSuccess && count > 0) return "";
  return std::string("no CUDA device (") + (status == cudaSuccess ? "none found" : cudaGetErrorString(status)) +
         "): GPU test not run";
}

}  // namespace bench::testing_support

#include "bench/gpu/cuda_check.hpp"

#include "bench/gpu/cublas_api.hpp"

namespace bench {

bool is_sticky(cudaError_t status) {
  switch (status) {
    case cudaErrorIllegalAddress:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorUnknown:
      return true;
    default:
      return false;
  }
}

bool CudaError::out_of_memory() const {
  const std::string text = what();
  return text.find(cudaGetErrorName(cudaErrorMemoryAllocation)) != std::string::npos ||
         text.find("CUBLAS_STATUS_ALLOC_FAILED") != std::string::npos;
}

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  throw CudaError(std::string(expr) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                      ") at " + file + ":" + std::to_string(line),
                  is_sticky(status));
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  throw CudaError(std::string(expr) + " failed: " + cublas_api().GetStatusName(status) + " (" +
                      cublas_api().GetStatusString(status) + ") at " + file + ":" + std::to_string(line),
                  false);
}

}  // namespace bench

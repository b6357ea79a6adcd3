// cuBLAS, loaded at run time with dlopen on first use (bench/gpu/cuda_library.hpp): a binary that links it would map
// cuBLAS and cuBLASLt (about 600 MB of libraries) into every run, the GPU-free modes too, and would not start at all
// where they are not installed. The headers come from the CUDA Toolkit at build time; only the calls bench/ makes are
// bound. bench_llama_emulated binds the emulator's stand-ins instead.
#pragma once

#include <cublas_v2.h>

#include <string>
#include <vector>

namespace bench {

struct CublasApi {
  decltype(&cublasCreate) Create = nullptr;
  decltype(&cublasDestroy) Destroy = nullptr;
  decltype(&cublasSetStream) SetStream = nullptr;
  decltype(&cublasSetWorkspace) SetWorkspace = nullptr;
  decltype(&cublasGetProperty) GetProperty = nullptr;
  decltype(&cublasGetStatusName) GetStatusName = nullptr;
  decltype(&cublasGetStatusString) GetStatusString = nullptr;
  // C++ also sees an inline overload of these two that takes a cudaDataType for the compute type: the exported ones
  // take a cublasComputeType_t.
  cublasStatus_t (*GemmEx)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                           const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                           cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
  cublasStatus_t (*GemmBatchedEx)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                                  const void* const[], cudaDataType, int, const void* const[], cudaDataType, int,
                                  const void*, void* const[], cudaDataType, int, int, cublasComputeType_t,
                                  cublasGemmAlgo_t) = nullptr;
};

// Where bench_llama looks for cuBLAS (libcublas.so.<major of the build's cuBLAS>): by name, then lib64,
// targets/x86_64-linux/lib and lib of $CUDA_HOME, the build's toolkit and the usual CUDA install folders.
std::vector<std::string> cublas_candidates();

// The loaded API (loaded once, on first use). Throws CudaError (not sticky) saying what was tried and the fix when
// cuBLAS cannot be loaded.
const CublasApi& cublas_api();

}  // namespace bench

// cuBLAS as a program linked against the emulator sees it: handles, streams, workspaces, and the two GEMMs (GemmEx
// and GemmBatchedEx) computed on the CPU in stream order, column-major as cuBLAS defines them, with fp32 accumulation
// in k order (an accumulation order of its own, unlike the emulated tensor cores' exact sums). fp16 and bf16 inputs
// and outputs, fp32 compute, alpha and beta on the host; anything else is refused as not supported.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "emulator/streams.hpp"

struct cublasContext {
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
};

namespace {

float load(const void* base, std::int64_t index, cudaDataType_t type) {
  std::uint16_t bits;
  std::memcpy(&bits, static_cast<const char*>(base) + 2 * index, 2);
  if (type == CUDA_R_16F) {
    __half_raw raw;
    raw.x = bits;
    return __half2float(__half(raw));
  }
  __nv_bfloat16_raw raw;
  raw.x = bits;
  return __bfloat162float(__nv_bfloat16(raw));
}

void store(void* base, std::int64_t index, cudaDataType_t type, float value) {
  std::uint16_t bits;
  if (type == CUDA_R_16F) {
    const __half_raw raw = __half(__float2half_rn(value));
    bits = raw.x;
  } else {
    const __nv_bfloat16_raw raw = __nv_bfloat16(__float2bfloat16_rn(value));
    bits = raw.x;
  }
  std::memcpy(static_cast<char*>(base) + 2 * index, &bits, 2);
}

bool supported(cudaDataType_t a, cudaDataType_t b, cudaDataType_t c, cublasComputeType_t compute) {
  const bool half = a == CUDA_R_16F || a == CUDA_R_16BF;
  return half && a == b && b == c && (compute == CUBLAS_COMPUTE_32F || compute == CUBLAS_COMPUTE_32F_FAST_16F);
}

struct Gemm {
  cublasOperation_t ta, tb;
  int m, n, k;
  float alpha, beta;
  cudaDataType_t type;
  int lda, ldb, ldc;
};

// C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, column-major.
void gemm(const Gemm& g, const void* a, const void* b, void* c) {
  for (int j = 0; j < g.n; ++j) {
    for (int i = 0; i < g.m; ++i) {
      float sum = 0;
      for (int p = 0; p < g.k; ++p) {
        const std::int64_t ai =
            g.ta == CUBLAS_OP_N ? i + static_cast<std::int64_t>(p) * g.lda : p + static_cast<std::int64_t>(i) * g.lda;
        const std::int64_t bi =
            g.tb == CUBLAS_OP_N ? p + static_cast<std::int64_t>(j) * g.ldb : j + static_cast<std::int64_t>(p) * g.ldb;
        sum += load(a, ai, g.type) * load(b, bi, g.type);
      }
      const std::int64_t ci = i + static_cast<std::int64_t>(j) * g.ldc;
      const float old = g.beta != 0.0f ? load(c, ci, g.type) : 0.0f;
      store(c, ci, g.type, g.alpha * sum + g.beta * old);
    }
  }
}

// cuBLAS's own checks of a product's arguments: an operation it knows, leading dimensions at least the stored rows.
bool valid(const Gemm& g) {
  const auto known = [](cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; };
  if (!known(g.ta) || !known(g.tb) || g.m < 0 || g.n < 0 || g.k < 0) return false;
  return g.lda >= std::max(1, g.ta == CUBLAS_OP_N ? g.m : g.k) &&
         g.ldb >= std::max(1, g.tb == CUBLAS_OP_N ? g.k : g.n) && g.ldc >= std::max(1, g.m);
}

// Runs `count` products of g's shape in stream order, and gives them the emulated duration of their FLOPs and of the
// bytes of their three matrices (2-byte elements: the only types supported).
cublasStatus_t submit(cublasHandle_t handle, const Gemm& g, int count, std::function<void()> compute) {
  const double m = g.m, n = g.n, k = g.k;
  const double flops = 2.0 * m * n * k * count, bytes = 2.0 * (m * k + k * n + m * n) * count;
  const cudaError_t e =
      cuda_emu::detail::submit(handle->stream, {[compute = std::move(compute), flops, bytes](double* ns) {
                                                  compute();
                                                  *ns = cuda_emu::detail::gemm_duration_ns(flops, bytes);
                                                  return cudaSuccess;
                                                },
                                                {},
                                                {}});
  return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  handle->workspace = nullptr;  // as cuBLAS: setting a stream resets the workspace to the default
  handle->workspace_bytes = 0;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, std::size_t bytes) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->workspace = workspace;
  handle->workspace_bytes = bytes;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value) {
  if (!value) return CUBLAS_STATUS_INVALID_VALUE;
  *value = type == MAJOR_VERSION ? CUBLAS_VER_MAJOR : type == MINOR_VERSION ? CUBLAS_VER_MINOR : CUBLAS_VER_PATCH;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                            int k, const void* alpha, const void* a, cudaDataType_t a_type, int lda, const void* b,
                            cudaDataType_t b_type, int ldb, const void* beta, void* c, cudaDataType_t c_type, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t /*algo*/) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!supported(a_type, b_type, c_type, compute)) return CUBLAS_STATUS_NOT_SUPPORTED;
  if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  const Gemm g{transa, transb, m,   n,  k, *static_cast<const float*>(alpha), *static_cast<const float*>(beta),
               a_type, lda,    ldb, ldc};
  if (!valid(g)) return CUBLAS_STATUS_INVALID_VALUE;
  return submit(handle, g, 1, [g, a, b, c] { gemm(g, a, b, c); });
}

cublasStatus_t cublasGemmBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                                   int n, int k, const void* alpha, const void* const a_array[], cudaDataType_t a_type,
                                   int lda, const void* const b_array[], cudaDataType_t b_type, int ldb,
                                   const void* beta, void* const c_array[], cudaDataType_t c_type, int ldc, int count,
                                   cublasComputeType_t compute, cublasGemmAlgo_t /*algo*/) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!supported(a_type, b_type, c_type, compute)) return CUBLAS_STATUS_NOT_SUPPORTED;
  if (count < 0 || !alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  const Gemm g{transa, transb, m,   n,  k, *static_cast<const float*>(alpha), *static_cast<const float*>(beta),
               a_type, lda,    ldb, ldc};
  if (!valid(g)) return CUBLAS_STATUS_INVALID_VALUE;
  // The pointer arrays live in (emulated) device memory: read when the GEMM runs, as the GPU reads them.
  return submit(handle, g, count, [g, a_array, b_array, c_array, count] {
    for (int i = 0; i < count; ++i) gemm(g, a_array[i], b_array[i], c_array[i]);
  });
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    default:
      return "CUBLAS_STATUS_UNKNOWN (not named by the emulator)";
  }
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "the operation completed successfully";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "the functionality requested is not supported (by the emulator's stand-in for cuBLAS)";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "the GPU program failed to execute (the emulated device's context has ended)";
    default:
      return cublasGetStatusName(status);
  }
}

}  // extern "C"

#include "bench/point/cublas_gemm.hpp"

#include "bench/gpu/cublas_api.hpp"

namespace bench {

void cublas_gemm(cublasHandle_t handle, const ProblemBuffers& buffers) {
  const roofline::GemmProblem& p = buffers.problem;
  const cudaDataType_t type = p.dtype == roofline::Dtype::kF16 ? CUDA_R_16F : CUDA_R_16BF;
  const float alpha = 1.0f, beta = 0.0f;
  // cuBLAS is column-major. A row-major R[r x c] with leading dimension ld is the column-major R^T with the same ld,
  // so row-major C = A * op(B) is computed as column-major C^T = op(B)^T * A^T: cuBLAS's "A" is our B and its "B" is
  // our A, with m = N and n = M.
  //   nt (B is [N x K], C = A * B^T): C^T = B * A^T -> op(B^T stored) = T.
  //   nn (B is [K x N], C = A * B):   C^T = B^T * A^T -> op = N.
  const cublasOperation_t op_b = p.b_layout == roofline::BLayout::kNT ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = static_cast<int>(p.n), n = static_cast<int>(p.m), k = static_cast<int>(p.k);
  const int ldb = static_cast<int>(p.b.ld), lda = static_cast<int>(p.a.ld), ldc = static_cast<int>(p.c.ld);
  if (p.batch_count() == 1) {
    BENCH_LLAMA_CUBLAS_CHECK(cublas_api().GemmEx(handle, op_b, CUBLAS_OP_N, m, n, k, &alpha, buffers.b.get(), type, ldb,
                                                 buffers.a.get(), type, lda, &beta, buffers.c.get(), type, ldc,
                                                 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return;
  }
  BENCH_LLAMA_CUBLAS_CHECK(cublas_api().GemmBatchedEx(
      handle, op_b, CUBLAS_OP_N, m, n, k, &alpha, buffers.b_ptrs.as<const void* const>(), type, ldb,
      buffers.a_ptrs.as<const void* const>(), type, lda, &beta, buffers.c_ptrs.as<void* const>(), type, ldc,
      static_cast<int>(p.batch_count()), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace bench

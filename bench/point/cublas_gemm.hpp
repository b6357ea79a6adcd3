// cuBLAS at the same shapes as the hand-written kernels: the baseline and the validation reference.
#pragma once

#include <cublas_v2.h>

#include "bench/point/problem_buffers.hpp"

namespace bench {

// Runs the problem with cuBLAS on the handle's stream: cublasGemmEx for a single product (the linears), and
// cublasGemmBatchedEx over the (batch, head) pointer arrays for attention. fp16/bf16 in and out, fp32 accumulation.
// Attention's [b, s, n, d] layout puts (batch, head) matrices at offsets that no single stride describes
// (b * s * n * d + h * d), so one strided-batched call cannot cover them; the pointer-array call is one launch all
// the same. Throws CudaError.
void cublas_gemm(cublasHandle_t handle, const ProblemBuffers& buffers);

}  // namespace bench

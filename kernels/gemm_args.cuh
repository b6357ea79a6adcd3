// The arguments of every GEMM-shaped kernel, one struct (STYLE.md): C[M x N] = A[M x K] * op(B) for each
// (batch, head), row-major operands addressed as
//   base + batch * batch_stride + (head / head_group) * head_stride + row * ld + col     (elements).
// kernels/ depends on nothing of the project, so this mirrors roofline::GemmProblem with device pointers added;
// bench/ converts one into the other.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/element.cuh"

namespace kernels {

struct MatrixArg {
  void* data = nullptr;
  std::int64_t ld = 0;
  std::int64_t batch_stride = 0;
  std::int64_t head_stride = 0;
  std::int64_t head_group = 1;
};

struct GemmArgs {
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t batch = 1, heads = 1;
  bool b_transposed = true;  // true: B is [N x K] (Y = X * W^T); false: B is [K x N]
  Element element = Element::kF16;
  MatrixArg a, b, c;
  void* workspace = nullptr;  // workspace_bytes(...) bytes, when the variant needs any
  int sm_count = 0;           // of the device the launch runs on (some variants split work to fill it)
};

// A hand-written variant: the table of STYLE.md's "variants are data". bench/ registers every entry, the tests
// iterate the same table, and adding a kernel is one entry.
struct GemmVariant {
  const char* name;
  int min_sm;  // lowest compute capability (major * 10 + minor) it runs on
  int max_sm;  // highest (architecture-specific code such as sm_90a's wgmma); 0: no upper bound
  // Empty string if the variant computes this problem correctly on this architecture; otherwise why not.
  const char* (*supports)(const GemmArgs& args, int sm);
  // Runs the problem; `args.workspace` must hold workspace_bytes(args) bytes.
  cudaError_t (*launch)(const GemmArgs& args, cudaStream_t stream);
  // Whether `hand` should pick this variant for the problem (performance, not correctness): `hand` takes the variant
  // of lowest rank that supports and suits the problem. A variant named with --impl only has to support it.
  bool (*suits)(const GemmArgs& args);
  // Scratch memory the launch needs (the caller allocates it: kernels never allocate).
  std::size_t (*workspace_bytes)(const GemmArgs& args);
  // `hand`'s preference among the variants that support and suit a problem: lower first (variants.cu sets it, and
  // says where the ranking comes from).
  int rank = 0;
};

}  // namespace kernels

#include "bench/point/problem_buffers.hpp"

#include <cmath>
#include <vector>

#include "kernels/fill.cuh"

namespace bench {
namespace {

std::int64_t bytes_of(const roofline::Operand& op, const roofline::GemmProblem& p) {
  return roofline::dtype_bytes(p.dtype) * op.buffer_elements(p.batch, p.heads);
}

// Device array of pointers to every (batch, head) matrix of an operand, in batch-major order.
DeviceBuffer pointer_array(const roofline::Operand& op, const roofline::GemmProblem& p, const DeviceBuffer& base,
                           cudaStream_t stream) {
  std::vector<const void*> pointers;
  const auto* bytes = static_cast<const char*>(base.get());
  const int element = roofline::dtype_bytes(p.dtype);
  for (std::int64_t i = 0; i < p.batch; ++i) {
    for (std::int64_t h = 0; h < p.heads; ++h) {
      pointers.push_back(bytes + element * (i * op.batch_stride + (h / op.head_group) * op.head_stride));
    }
  }
  DeviceBuffer array(static_cast<std::int64_t>(pointers.size() * sizeof(void*)));
  BENCH_LLAMA_CUDA_CHECK(cudaMemcpyAsync(array.get(), pointers.data(), array.bytes(), cudaMemcpyHostToDevice, stream));
  BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));  // `pointers` dies at return
  return array;
}

}  // namespace

ProblemBuffers::ProblemBuffers(const roofline::GemmProblem& p, cudaStream_t stream, std::uint64_t seed)
    : problem(p), a(bytes_of(p.a, p)), b(bytes_of(p.b, p)), c(bytes_of(p.c, p)) {
  const kernels::Element element = element_of(p.dtype);
  // A ~ N(0,1) and B ~ N(0,1)/sqrt(K): each output is then ~ N(0,1), far inside fp16's range at every K of the sweep,
  // and large enough that relative errors are meaningful.
  const float b_scale = 1.0f / std::sqrt(static_cast<float>(p.k));
  BENCH_LLAMA_CUDA_CHECK(kernels::fill_normal(a.get(), a.bytes() / 2, element, 1.0f, seed, stream));
  BENCH_LLAMA_CUDA_CHECK(kernels::fill_normal(b.get(), b.bytes() / 2, element, b_scale, seed + 1, stream));
  poison_output(stream);
  if (p.batch_count() > 1) {
    a_ptrs = pointer_array(p.a, p, a, stream);
    b_ptrs = pointer_array(p.b, p, b, stream);
    c_ptrs = pointer_array(p.c, p, c, stream);
  }
  BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void ProblemBuffers::poison_output(cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(kernels::poison(c.get(), c.bytes() / 2, element_of(problem.dtype), stream));
}

kernels::GemmArgs ProblemBuffers::args() const { return gemm_args(problem, a.get(), b.get(), c.get()); }

}  // namespace bench

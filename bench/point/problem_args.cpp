#include "bench/point/problem_args.hpp"

namespace bench {
namespace {

kernels::MatrixArg matrix(const roofline::Operand& op, void* data) {
  return kernels::MatrixArg{data, op.ld, op.batch_stride, op.head_stride, op.head_group};
}

}  // namespace

kernels::Element element_of(roofline::Dtype dtype) {
  return dtype == roofline::Dtype::kF16 ? kernels::Element::kF16 : kernels::Element::kBF16;
}

kernels::GemmArgs gemm_args(const roofline::GemmProblem& problem) {
  return gemm_args(problem, nullptr, nullptr, nullptr);
}

kernels::GemmArgs gemm_args(const roofline::GemmProblem& problem, void* a, void* b, void* c) {
  kernels::GemmArgs g;
  g.m = problem.m;
  g.n = problem.n;
  g.k = problem.k;
  g.batch = problem.batch;
  g.heads = problem.heads;
  g.b_transposed = problem.b_layout == roofline::BLayout::kNT;
  g.element = element_of(problem.dtype);
  g.a = matrix(problem.a, a);
  g.b = matrix(problem.b, b);
  g.c = matrix(problem.c, c);
  return g;
}

}  // namespace bench

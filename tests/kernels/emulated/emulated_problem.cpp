#include "emulated_problem.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>

#include "bench/point/problem_args.hpp"
#include "emulator/emulator.hpp"
#include "kernels/fill.cuh"

namespace emulated {
namespace {

std::size_t bytes_of(const roofline::Operand& op, const roofline::GemmProblem& p) {
  return static_cast<std::size_t>(roofline::dtype_bytes(p.dtype) * op.buffer_elements(p.batch, p.heads));
}

float element_at(const void* base, std::int64_t index, roofline::Dtype dtype) {
  std::uint16_t bits;
  std::memcpy(&bits, static_cast<const char*>(base) + 2 * index, 2);
  if (dtype == roofline::Dtype::kF16) {
    __half_raw raw;
    raw.x = bits;
    return __half2float(__half(raw));
  }
  __nv_bfloat16_raw raw;
  raw.x = bits;
  return __bfloat162float(__nv_bfloat16(raw));
}

// The element index of (row, col) of matrix (batch, head) of an operand.
std::int64_t index_of(const roofline::Operand& op, std::int64_t batch, std::int64_t head, std::int64_t row,
                      std::int64_t col) {
  return batch * op.batch_stride + (head / op.head_group) * op.head_stride + row * op.ld + col;
}

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorName(status));
}

}  // namespace

void GlobalBuffer::Free::operator()(void* p) const { cuda_emu::free_global(p); }

GlobalBuffer::GlobalBuffer(std::size_t bytes) : data_(cuda_emu::malloc_global(bytes)), bytes_(bytes) {
  if (!data_) throw std::bad_alloc();
}

EmulatedProblem::EmulatedProblem(const roofline::GemmProblem& p, std::uint64_t seed, int sm_count)
    : problem_(p), sm_count_(sm_count), a_(bytes_of(p.a, p)), b_(bytes_of(p.b, p)), c_(bytes_of(p.c, p)) {
  const kernels::Element element = bench::element_of(p.dtype);
  // As bench::ProblemBuffers fills them: each output is then about N(0,1).
  const float b_scale = 1.0f / std::sqrt(static_cast<float>(p.k));
  check(kernels::fill_normal(a_.get(), static_cast<std::int64_t>(a_.bytes() / 2), element, 1.0f, seed, nullptr),
        "fill_normal of A");
  check(kernels::fill_normal(b_.get(), static_cast<std::int64_t>(b_.bytes() / 2), element, b_scale, seed + 1, nullptr),
        "fill_normal of B");
  poison_output();

  reference_.reserve(static_cast<std::size_t>(p.batch * p.heads * p.m * p.n));
  const bool b_nt = p.b_layout == roofline::BLayout::kNT;
  std::vector<double> a_row(static_cast<std::size_t>(p.k));
  for (std::int64_t i = 0; i < p.batch; ++i) {
    for (std::int64_t h = 0; h < p.heads; ++h) {
      for (std::int64_t r = 0; r < p.m; ++r) {
        for (std::int64_t kk = 0; kk < p.k; ++kk) a_row[kk] = element_at(a_.get(), index_of(p.a, i, h, r, kk), p.dtype);
        for (std::int64_t c = 0; c < p.n; ++c) {
          double sum = 0;
          for (std::int64_t kk = 0; kk < p.k; ++kk) {
            const std::int64_t b_index = b_nt ? index_of(p.b, i, h, c, kk) : index_of(p.b, i, h, kk, c);
            sum += a_row[kk] * element_at(b_.get(), b_index, p.dtype);
          }
          reference_.push_back(sum);
        }
      }
    }
  }
}

kernels::GemmArgs EmulatedProblem::args(void* workspace) const {
  kernels::GemmArgs g = bench::gemm_args(problem_, a_.get(), b_.get(), c_.get());
  g.workspace = workspace;
  g.sm_count = sm_count_;
  return g;
}

void EmulatedProblem::poison_output() {
  check(
      kernels::poison(c_.get(), static_cast<std::int64_t>(c_.bytes() / 2), bench::element_of(problem_.dtype), nullptr),
      "poison of C");
}

double EmulatedProblem::relative_error() const {
  const roofline::GemmProblem& p = problem_;
  double error = 0, norm = 0;
  std::size_t next = 0;
  for (std::int64_t i = 0; i < p.batch; ++i) {
    for (std::int64_t h = 0; h < p.heads; ++h) {
      for (std::int64_t r = 0; r < p.m; ++r) {
        for (std::int64_t c = 0; c < p.n; ++c) {
          const double out = element_at(c_.get(), index_of(p.c, i, h, r, c), p.dtype);
          const double ref = reference_[next++];
          if (std::isnan(out)) return std::numeric_limits<double>::quiet_NaN();
          error += (out - ref) * (out - ref);
          norm += ref * ref;
        }
      }
    }
  }
  return norm > 0 ? std::sqrt(error / norm) : std::sqrt(error);
}

GlobalBuffer garbage_workspace(std::size_t bytes, std::uint64_t seed) {
  GlobalBuffer buffer(bytes);
  std::mt19937_64 rng(seed);
  auto* p = static_cast<unsigned char*>(buffer.get());
  for (std::size_t i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(rng());
  return buffer;
}

roofline::ModelConfig tiny_model(const std::string& name, int hidden, int heads, int kv_heads, int intermediate) {
  return roofline::parse_model_config("{\"hidden_size\": " + std::to_string(hidden) +
                                          ", \"num_attention_heads\": " + std::to_string(heads) +
                                          ", \"num_key_value_heads\": " + std::to_string(kv_heads) +
                                          ", \"intermediate_size\": " + std::to_string(intermediate) + "}",
                                      name);
}

roofline::GemmProblem linear(std::int64_t m, std::int64_t n, std::int64_t k, roofline::Dtype dtype, bool b_kn) {
  roofline::GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.dtype = dtype;
  p.b_layout = b_kn ? roofline::BLayout::kNN : roofline::BLayout::kNT;
  p.a = {m, k, k, 0, 0, 1, 1};
  p.b = b_kn ? roofline::Operand{k, n, n, 0, 0, 1, 1} : roofline::Operand{n, k, k, 0, 0, 1, 1};
  p.c = {m, n, n, 0, 0, 1, 1};
  return p;
}

}  // namespace emulated

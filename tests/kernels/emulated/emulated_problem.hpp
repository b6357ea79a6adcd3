// One GEMM-shaped problem in the emulator's global memory, set up as bench_llama sets one up on a GPU: A ~ N(0,1) and
// B ~ N(0,1)/sqrt(K) from the project's own fill kernel, C poisoned (NaN) by its poison kernel, both run on the
// emulator; and the CPU reference the output is judged against (every product summed in double).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/gemm_args.cuh"
#include "roofline/model_config.hpp"
#include "roofline/operators.hpp"
#include "roofline/problem.hpp"

namespace emulated {

// An exact-size allocation in the emulator's global memory (AddressSanitizer sees every overrun).
class GlobalBuffer {
 public:
  GlobalBuffer() = default;
  explicit GlobalBuffer(std::size_t bytes);
  void* get() const { return data_.get(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> data_;
  std::size_t bytes_ = 0;
};

class EmulatedProblem {
 public:
  EmulatedProblem(const roofline::GemmProblem& problem, std::uint64_t seed, int sm_count);

  // The kernel arguments, with `workspace` (which may be null).
  kernels::GemmArgs args(void* workspace = nullptr) const;
  void poison_output();
  // ||out - ref|| / ||ref|| against the CPU reference; NaN if an output element is NaN (never written).
  double relative_error() const;
  const roofline::GemmProblem& problem() const { return problem_; }

 private:
  roofline::GemmProblem problem_;
  int sm_count_;
  GlobalBuffer a_, b_, c_;
  std::vector<double> reference_;  // C, in the order of its (batch, head, row, column) elements
};

// Workspace for a launch, filled with garbage first: kernels must not depend on zeroed scratch memory.
GlobalBuffer garbage_workspace(std::size_t bytes, std::uint64_t seed);

// A model config from its four sizes (as a Hugging Face config.json gives them).
roofline::ModelConfig tiny_model(const std::string& name, int hidden, int heads, int kv_heads, int intermediate);

// A plain [M x K] * [N x K]^T linear, or [M x K] * [K x N] when `b_kn`.
roofline::GemmProblem linear(std::int64_t m, std::int64_t n, std::int64_t k, roofline::Dtype dtype, bool b_kn = false);

}  // namespace emulated

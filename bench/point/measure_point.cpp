#include "bench/point/measure_point.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "bench/point/cublas_gemm.hpp"
#include "bench/point/problem_buffers.hpp"
#include "bench/point/tolerance.hpp"
#include "bench/point/validate.hpp"
#include "roofline/operators.hpp"

namespace bench {
namespace {

// A point's operands: copy 0 is validated and timed alone; more copies are made only for the batched samples of a
// short kernel. A hand kernel gets its arguments and its scratch space (if it needs any) per copy, so that a batch's
// launches find theirs as cold as a single launch does.
class PointOperands {
 public:
  PointOperands(const roofline::GemmProblem& problem, std::uint64_t seed, const kernels::GemmVariant* variant,
                const PointTools& tools)
      : problem_(problem), seed_(seed), variant_(variant), tools_(tools) {
    add_copy();
  }

  void launch(int copy, cudaStream_t stream) const {
    if (variant_) {
      BENCH_LLAMA_CUDA_CHECK(variant_->launch(args_[copy], stream));
    } else {
      cublas_gemm(tools_.cublas, *copies_[copy]);
    }
  }

  // Runs copy 0 once and checks its output: every element written (the NaN poison gone) and, for a hand kernel, within
  // the dtype's tolerance of cuBLAS's. Sets m's status, reason and relative error; false when the output is invalid.
  bool validate(Measurement& m) const {
    ProblemBuffers& buffers = *copies_.front();
    const std::int64_t elements = buffers.c.bytes() / 2;
    const kernels::Element element = element_of(problem_.dtype);
    const cudaStream_t stream = tools_.stream;
    if (!variant_) {  // cuBLAS is the reference; still, its output must overwrite the poison
      launch(0, stream);
      if (!std::isnan(relative_error(buffers.c.get(), buffers.c.get(), elements, element, stream))) return true;
      m.status = roofline::kStatusInvalid;
      m.reason = "cuBLAS left output elements unwritten (NaN poison remained)";
      return false;
    }
    // cuBLAS's output becomes the reference, the output is poisoned, the kernel runs.
    cublas_gemm(tools_.cublas, buffers);
    DeviceBuffer reference(buffers.c.bytes());
    BENCH_LLAMA_CUDA_CHECK(
        cudaMemcpyAsync(reference.get(), buffers.c.get(), buffers.c.bytes(), cudaMemcpyDeviceToDevice, stream));
    buffers.poison_output(stream);
    launch(0, stream);
    m.rel_error = relative_error(buffers.c.get(), reference.get(), elements, element, stream);
    if (*m.rel_error <= tolerance(problem_.dtype)) return true;
    m.status = roofline::kStatusInvalid;
    m.reason = std::isnan(*m.rel_error) ? "output elements left unwritten (NaN poison remained)"
                                        : "relative error " + std::to_string(*m.rel_error) + " above the " +
                                              roofline::dtype_name(problem_.dtype) + " tolerance " +
                                              std::to_string(tolerance(problem_.dtype));
    return false;
  }

  // Up to `wanted` copies, within a quarter of free memory (and 4 GiB); returns how many there are. Running out of
  // memory here only means fewer copies: the point is still timed one launch at a time.
  int make_copies(int wanted) {
    const std::int64_t each = std::max<std::int64_t>(roofline::buffer_bytes(problem_), 1);
    const std::int64_t budget = std::min<std::int64_t>(tools_.free_memory_bytes / 4, std::int64_t{4} << 30);
    const auto fit = static_cast<std::size_t>(std::clamp<std::int64_t>(budget / each, 1, wanted));
    try {
      while (copies_.size() < fit) add_copy();
    } catch (const CudaError& e) {
      if (!e.out_of_memory()) throw;
      cudaGetLastError();  // an allocation failure is not sticky: clear it and time with the copies there are
      if (variant_) copies_.resize(args_.size());  // a copy whose workspace did not fit is no copy
    }
    return static_cast<int>(copies_.size());
  }

 private:
  void add_copy() {
    copies_.push_back(std::make_unique<ProblemBuffers>(problem_, tools_.stream, seed_ + copies_.size()));
    if (!variant_) return;
    kernels::GemmArgs args = copies_.back()->args();
    args.sm_count = tools_.sm_count;
    workspaces_.emplace_back(static_cast<std::int64_t>(variant_->workspace_bytes(args)));
    args.workspace = workspaces_.back().get();
    args_.push_back(args);
  }

  const roofline::GemmProblem& problem_;
  std::uint64_t seed_;
  const kernels::GemmVariant* variant_;
  const PointTools& tools_;
  std::vector<std::unique_ptr<ProblemBuffers>> copies_;
  std::vector<DeviceBuffer> workspaces_;
  std::vector<kernels::GemmArgs> args_;
};

}  // namespace

Measurement measure_point(const roofline::GemmProblem& problem, std::uint64_t seed, const kernels::GemmVariant* variant,
                          const StopRule& rule, const std::string& name, const PointTools& tools) {
  PointOperands operands(problem, seed, variant, tools);
  Measurement m;
  if (!operands.validate(m)) return m;
  const Launch launch = [&](cudaStream_t s) { operands.launch(0, s); };
  tools.timer->time_point(
      launch, [&](int copy, cudaStream_t s) { operands.launch(copy, s); },
      [&](int wanted) { return operands.make_copies(wanted); }, rule, m);
  if (tools.counters) {  // a pass of its own, after the timing, in the same L2 state
    std::string why;
    m.counters = tools.counters->measure(launch, tools.stream, tools.flusher, &why);
    if (!m.counters) spdlog::warn("{}: counters not read ({})", name, why);
  }
  return m;
}

}  // namespace bench

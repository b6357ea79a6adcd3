#include "bench/measure_point.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "bench/cublas_gemm.hpp"
#include "bench/problem_buffers.hpp"
#include "bench/tolerance.hpp"
#include "bench/validate.hpp"
#include "roofline/operators.hpp"

namespace bench {

Measurement measure_point(const roofline::GemmProblem& problem, std::uint64_t seed, const kernels::GemmVariant* variant,
                          const StopRule& rule, const std::string& name, const PointTools& tools) {
  cudaStream_t stream = tools.stream;
  // Copy 0 is validated and timed alone; more copies are made only for batched samples of a short kernel.
  std::vector<std::unique_ptr<ProblemBuffers>> copies;
  copies.push_back(std::make_unique<ProblemBuffers>(problem, stream, seed));
  ProblemBuffers& buffers = *copies.front();
  const std::int64_t c_elements = buffers.c.bytes() / 2;
  Measurement m;
  std::vector<DeviceBuffer> workspaces;  // the variant's scratch space, if it needs any: one per copy, so that a
                                         // batch's launches find theirs as cold as a single launch does
  std::vector<kernels::GemmArgs> args;   // a hand kernel's arguments, one per copy
  const auto add_args = [&](const ProblemBuffers& copy) {
    kernels::GemmArgs more = copy.args();
    more.sm_count = tools.sm_count;
    workspaces.emplace_back(static_cast<std::int64_t>(variant->workspace_bytes(more)));
    more.workspace = workspaces.back().get();
    args.push_back(more);
  };
  std::function<void(int, cudaStream_t)> launch_copy;
  if (!variant) {
    launch_copy = [&](int copy, cudaStream_t) { cublas_gemm(tools.cublas, *copies[copy]); };
    // cuBLAS is the reference; still, every output element must be written (the poison must be gone).
    launch_copy(0, stream);
    if (std::isnan(relative_error(buffers.c.get(), buffers.c.get(), c_elements, element_of(problem.dtype), stream))) {
      m.status = roofline::kStatusInvalid;
      m.reason = "cuBLAS left output elements unwritten (NaN poison remained)";
      return m;
    }
  } else {
    add_args(buffers);
    launch_copy = [&](int copy, cudaStream_t s) { BENCH_LLAMA_CUDA_CHECK(variant->launch(args[copy], s)); };
    // Validate before timing: cuBLAS's output becomes the reference, the output is poisoned, the kernel runs.
    cublas_gemm(tools.cublas, buffers);
    DeviceBuffer reference(buffers.c.bytes());
    BENCH_LLAMA_CUDA_CHECK(
        cudaMemcpyAsync(reference.get(), buffers.c.get(), buffers.c.bytes(), cudaMemcpyDeviceToDevice, stream));
    buffers.poison_output(stream);
    launch_copy(0, stream);
    m.rel_error = relative_error(buffers.c.get(), reference.get(), c_elements, element_of(problem.dtype), stream);
    if (!(*m.rel_error <= tolerance(problem.dtype))) {
      m.status = roofline::kStatusInvalid;
      m.reason = std::isnan(*m.rel_error) ? "output elements left unwritten (NaN poison remained)"
                                          : "relative error " + std::to_string(*m.rel_error) + " above the " +
                                                roofline::dtype_name(problem.dtype) + " tolerance " +
                                                std::to_string(tolerance(problem.dtype));
      return m;
    }
  }
  // Up to `wanted` operand copies, within a quarter of free memory (and 4 GiB); returns how many there are. Running out
  // of memory here only means fewer copies: the point is still timed one launch at a time.
  const auto make_copies = [&](int wanted) {
    const std::int64_t each = std::max<std::int64_t>(roofline::buffer_bytes(problem), 1);
    const std::int64_t budget = std::min<std::int64_t>(tools.free_memory_bytes / 4, std::int64_t{4} << 30);
    const auto fit = static_cast<std::size_t>(std::clamp<std::int64_t>(budget / each, 1, wanted));
    try {
      while (copies.size() < fit) {
        copies.push_back(std::make_unique<ProblemBuffers>(problem, stream, seed + copies.size()));
        if (variant) add_args(*copies.back());
      }
    } catch (const CudaError& e) {
      if (!e.out_of_memory()) throw;
      cudaGetLastError();  // an allocation failure is not sticky: clear it and time with the copies there are
      if (variant) copies.resize(args.size());  // a copy whose workspace did not fit is no copy
    }
    return static_cast<int>(copies.size());
  };
  const Launch launch = [&](cudaStream_t s) { launch_copy(0, s); };
  tools.timer->time_point(launch, launch_copy, make_copies, rule, m);
  if (tools.counters) {  // a pass of its own, after the timing, in the same L2 state
    std::string why;
    m.counters = tools.counters->measure(launch, stream, tools.flusher, &why);
    if (!m.counters) spdlog::warn("{}: counters not read ({})", name, why);
  }
  return m;
}

}  // namespace bench

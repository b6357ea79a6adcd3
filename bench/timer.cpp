#include "bench/timer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bench/device_kind.hpp"

namespace bench {

L2Flusher::L2Flusher(std::int64_t l2_bytes, int sm_count)
    : scratch_(std::max<std::int64_t>(2 * l2_bytes, kHarnessWork.flush_min_bytes) / 16 * 16),
      clean_(scratch_.bytes()),
      sink_(16),
      sm_count_(sm_count) {
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(scratch_.get(), 0, static_cast<std::size_t>(scratch_.bytes())));
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(clean_.get(), 1, static_cast<std::size_t>(clean_.bytes())));
}

void L2Flusher::flush(cudaStream_t stream) const {
  BENCH_LLAMA_CUDA_CHECK(
      kernels::l2_flush(scratch_.get(), clean_.get(), scratch_.bytes(), sink_.as<std::uint32_t>(), sm_count_, stream));
}

namespace {

// Releases a held gate when it goes out of scope, so that an exception between hold and release cannot leave the GPU
// waiting for the timeout.
struct GateRelease {
  StreamGate* gate;
  ~GateRelease() {
    if (gate) gate->release();
  }
};

}  // namespace

StreamGate::StreamGate(std::uint64_t timeout_ns) : timeout_ns_(timeout_ns) {
  BENCH_LLAMA_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&host_), 2 * sizeof(int), cudaHostAllocMapped));
  host_[0] = 1;
  host_[1] = 0;
}

StreamGate::~StreamGate() {
  if (host_) cudaFreeHost(host_);
}

void StreamGate::hold(cudaStream_t stream) {
  __atomic_store_n(&host_[1], 0, __ATOMIC_RELAXED);
  __atomic_store_n(&host_[0], 0, __ATOMIC_RELEASE);
  int* device = nullptr;
  BENCH_LLAMA_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&device), host_, 0));
  const cudaError_t status = kernels::stream_gate(device, device + 1, timeout_ns_, stream);
  if (status != cudaSuccess) release();
  BENCH_LLAMA_CUDA_CHECK(status);
}

// A release store: everything the host did before it is visible to whoever sees the flag (the gate only reads it, but
// on a weakly ordered host, such as a Grace CPU, the store must not be held back either).
void StreamGate::release() { __atomic_store_n(&host_[0], 1, __ATOMIC_RELEASE); }

bool StreamGate::timed_out() const { return __atomic_load_n(&host_[1], __ATOMIC_ACQUIRE) != 0; }

double warm_up(const Launch& launch, cudaStream_t stream, const TimingPlan& plan) {
  CudaEvent start, stop;
  TimingPlan first = plan;
  first.gate = nullptr;  // the first launch may load the kernel's code, which must not wait behind a held gate
  const int kernels_per_sample = plan.launches_per_sample * plan.kernels_per_launch;
  const double started = steady_seconds();
  double total = time_sample(launch, stream, first, start, stop) * kernels_per_sample;
  int kernels = kernels_per_sample;
  while (kernels < plan.warmup_launches || steady_seconds() - started < plan.warmup_min_seconds) {
    total += time_sample(launch, stream, plan, start, stop) * kernels_per_sample;
    kernels += kernels_per_sample;
    if (kernels >= 1000) break;  // a kernel of a few microseconds: enough
  }
  return total / kernels;
}

double time_sample(const Launch& launch, cudaStream_t stream, const TimingPlan& plan, const CudaEvent& start,
                   const CudaEvent& stop) {
  const bool gated = plan.gate && plan.gate->enabled();
  if (plan.flusher) plan.flusher->flush(stream);
  {
    GateRelease release{nullptr};
    if (gated) {
      plan.gate->hold(stream);
      release.gate = plan.gate;
    }
    BENCH_LLAMA_CUDA_CHECK(cudaEventRecord(start.get(), stream));
    for (int i = 0; i < plan.launches_per_sample; ++i) launch(stream);
    BENCH_LLAMA_CUDA_CHECK(cudaEventRecord(stop.get(), stream));
  }
  BENCH_LLAMA_CUDA_CHECK(cudaEventSynchronize(stop.get()));
  if (gated && plan.gate->timed_out()) {  // the gate let the stream go before the host had queued the sample
    plan.gate->disable(
        "a stream gate waited out its timeout (the host took that long to queue one sample, or a tool makes launches "
        "block): samples are no longer gated, and include the host's launch latency");
    spdlog::warn("{}", plan.gate->why());
    return time_sample(launch, stream, plan, start, stop);  // taken again, ungated
  }
  float ms = 0;
  BENCH_LLAMA_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return static_cast<double>(ms) * 1e-3 / (plan.launches_per_sample * plan.kernels_per_launch);
}

std::vector<double> time_until_stable(const Launch& launch, cudaStream_t stream, const TimingPlan& plan,
                                      const StopRule& rule, Stop* why) {
  CudaEvent start, stop;
  return sample_until_stable([&] { return time_sample(launch, stream, plan, start, stop); }, rule, steady_seconds, why);
}

int batched_launches(double seconds, int max_copies) {
  if (!(seconds > 0)) return 0;
  const double wanted = std::clamp(std::ceil(100e-6 / seconds), 2.0, 32.0);
  const int launches = std::min(static_cast<int>(wanted), max_copies);
  return launches >= 2 ? launches : 0;
}

CudaGraph::CudaGraph(const Launch& launch, int times, cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    for (int i = 0; i < times; ++i) launch(stream);
  } catch (...) {  // end the capture, so the stream is usable again, then report the launch's error
    cudaGraph_t broken = nullptr;
    cudaStreamEndCapture(stream, &broken);
    if (broken) cudaGraphDestroy(broken);
    cudaGetLastError();  // the failed capture's error must not be reported by the next launch
    throw;
  }
  if (const cudaError_t status = cudaStreamEndCapture(stream, &graph_); status != cudaSuccess) {
    cudaGetLastError();
    BENCH_LLAMA_CUDA_CHECK(status);
  }
  if (const cudaError_t status = cudaGraphInstantiate(&exec_, graph_, 0); status != cudaSuccess) {
    cudaGraphDestroy(graph_);
    graph_ = nullptr;
    cudaGetLastError();
    BENCH_LLAMA_CUDA_CHECK(status);
  }
}

CudaGraph::~CudaGraph() {
  if (exec_) cudaGraphExecDestroy(exec_);
  if (graph_) cudaGraphDestroy(graph_);
}

void CudaGraph::launch(cudaStream_t stream) const { BENCH_LLAMA_CUDA_CHECK(cudaGraphLaunch(exec_, stream)); }

ClockProbe::ClockProbe(int sm_count)
    : sm_count_(sm_count),
      before_(kernels::kClockProbeSlots * sizeof(kernels::ClockStamp)),
      after_(kernels::kClockProbeSlots * sizeof(kernels::ClockStamp)) {}

void ClockProbe::before(cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(before_.get(), 0, static_cast<std::size_t>(before_.bytes()), stream));
  BENCH_LLAMA_CUDA_CHECK(kernels::clock_probe(before_.as<kernels::ClockStamp>(), sm_count_, stream));
}

void ClockProbe::after(cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(after_.get(), 0, static_cast<std::size_t>(after_.bytes()), stream));
  BENCH_LLAMA_CUDA_CHECK(kernels::clock_probe(after_.as<kernels::ClockStamp>(), sm_count_, stream));
}

std::optional<double> ClockProbe::mean_mhz(cudaStream_t stream) const {
  std::vector<kernels::ClockStamp> before(kernels::kClockProbeSlots), after(kernels::kClockProbeSlots);
  BENCH_LLAMA_CUDA_CHECK(
      cudaMemcpyAsync(before.data(), before_.get(), before_.bytes(), cudaMemcpyDeviceToHost, stream));
  BENCH_LLAMA_CUDA_CHECK(cudaMemcpyAsync(after.data(), after_.get(), after_.bytes(), cudaMemcpyDeviceToHost, stream));
  BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));
  return probe_clock_mhz(before, after);
}

std::optional<double> probe_clock_mhz(const std::vector<kernels::ClockStamp>& before,
                                      const std::vector<kernels::ClockStamp>& after) {
  constexpr std::uint64_t kMinInterval = 1'000'000;  // ns
  std::vector<double> mhz;
  for (std::size_t sm = 0; sm < std::min(before.size(), after.size()); ++sm) {
    const kernels::ClockStamp& a = before[sm];
    const kernels::ClockStamp& b = after[sm];
    if (a.ns == 0 || b.ns == 0 || b.ns < a.ns + kMinInterval || b.cycles <= a.cycles) continue;
    mhz.push_back(static_cast<double>(b.cycles - a.cycles) * 1e3 / static_cast<double>(b.ns - a.ns));
  }
  if (mhz.empty()) return std::nullopt;
  return summarize(mhz).median;
}

}  // namespace bench

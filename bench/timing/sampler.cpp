#include "bench/timing/sampler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace bench {
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

}  // namespace bench

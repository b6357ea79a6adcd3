#include "bench/timing/point_timing.hpp"

#include <memory>
#include <string>

namespace bench {

PointTimer::PointTimer(cudaStream_t stream, const L2Flusher* flusher, StreamGate* gate, const Nvml& nvml,
                       void* nvml_device, int sm_count, bool warm)
    : stream_(stream),
      flusher_(flusher),
      gate_(gate),
      nvml_(nvml),
      nvml_device_(nvml_device),
      probe_(sm_count),
      warm_(warm) {}

void PointTimer::bracketed(const Launch& body, const TimingPlan& plan, const StopRule& rule, Measurement& m) {
  m.telemetry.push_back(nvml_.read(nvml_device_));
  probe_.before(stream_);
  m.samples_s = time_until_stable(body, stream_, plan, rule, &m.stop);
  probe_.after(stream_);
  m.probe_clock_mhz = probe_.mean_mhz(stream_);
  m.telemetry.push_back(nvml_.read(nvml_device_));
  m.timed_until = steady_seconds();
}

void PointTimer::time_ceiling(const Launch& launch, const StopRule& rule, Measurement& m) {
  TimingPlan plan;
  plan.gate = gate_;
  warm_up(launch, stream_, plan);
  bracketed(launch, plan, rule, m);
}

void PointTimer::time_point(const Launch& launch, const std::function<void(int, cudaStream_t)>& launch_copy,
                            const std::function<int(int)>& make_copies, const StopRule& rule, Measurement& m) {
  TimingPlan single;
  single.flusher = flusher_;
  single.gate = gate_;
  const double estimate = warm_up(launch, stream_, single);

  // A short kernel (cold) or any kernel (warm: back to back is what warm means) is timed in batches too, and the batch
  // is the reported time. Cold: a flush, then each launch of the batch on its own copy of the operands, so that every
  // one of them reads from DRAM.
  int launches = 0;
  if (warm_) {
    launches = batched_launches(estimate, 32);
  } else if (estimate < kShortKernelSeconds) {
    const int wanted = batched_launches(estimate, 32);
    launches = wanted >= 2 ? batched_launches(estimate, make_copies(wanted)) : 0;
  }
  if (launches < 2) {
    bracketed(launch, single, rule, m);
    return;
  }
  // The single-launch median of a batched point is a second opinion (time_us_single): a smaller share of the time.
  StopRule single_rule = rule;
  if (single_rule.min_samples < single_rule.max_samples) single_rule.max_seconds = rule.max_seconds / 5;
  Stop single_stop = Stop::kContinue;
  m.single_samples_s = time_until_stable(launch, stream_, single, single_rule, &single_stop);

  TimingPlan batched;
  batched.flusher = flusher_;
  batched.gate = gate_;
  batched.warmup_min_seconds = 0.002;  // the clocks are up already: this warms the copies and the graph
  std::unique_ptr<CudaGraph> graph;
  int next = 0;
  Launch body = [&](cudaStream_t s) {  // cold: launch i of a batch on copy i
    launch_copy(next, s);
    next = (next + 1) % launches;
  };
  batched.launches_per_sample = launches;
  if (warm_) {  // one CUDA graph of the launches, so that no host launch cost sits between them
    try {
      graph = std::make_unique<CudaGraph>(launch, launches, stream_);
      body = [&graph](cudaStream_t s) { graph->launch(s); };
      batched.launches_per_sample = 1;
      batched.kernels_per_launch = launches;
    } catch (const CudaError& e) {
      if (e.sticky()) throw;
      body = launch;  // plain launches back to back on the same operands, gated: still warm, still queued whole
      m.reason =
          std::string("warm batches are plain launches back to back: CUDA graph capture failed (") + e.what() + ")";
    }
  }
  warm_up(body, stream_, batched);
  bracketed(body, batched, rule, m);
  m.launches_per_sample = launches;
}

}  // namespace bench

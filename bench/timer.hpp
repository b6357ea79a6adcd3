// Timing on the GPU (docs/measuring.md): CUDA events on the kernel's stream around each timed launch, the L2 flush
// (cold mode) enqueued before the start event so that it is outside the measurement and also hides the launch
// latency, warm-up launches first.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <vector>

#include "bench/cuda_raii.hpp"

namespace bench {

// Empties L2 and leaves it clean (kernels::l2_flush): rewrites one buffer of twice its size, then reads another.
class L2Flusher {
 public:
  L2Flusher(std::int64_t l2_bytes, int sm_count);
  void flush(cudaStream_t stream) const;
  // Device memory the flusher holds.
  std::int64_t bytes() const { return scratch_.bytes() + clean_.bytes(); }

 private:
  DeviceBuffer scratch_, clean_, sink_;
  int sm_count_;
};

using Launch = std::function<void(cudaStream_t)>;

struct TimingPlan {
  int warmup_launches = 3;
  double warmup_min_seconds = 0.01;    // keep warming up until this much GPU time has passed (clocks ramp up)
  int launches_per_sample = 1;         // warm mode: several back-to-back launches per sample, time divided evenly
  const L2Flusher* flusher = nullptr;  // cold mode when set
};

// Runs the warm-up launches; returns the mean time of one launch in seconds (to size the repetitions).
double warm_up(const Launch& launch, cudaStream_t stream, const TimingPlan& plan);

// Times one sample (one launch, or launches_per_sample in warm mode) and returns seconds per launch.
double time_sample(const Launch& launch, cudaStream_t stream, const TimingPlan& plan, const CudaEvent& start,
                   const CudaEvent& stop);

// The Google Benchmark loop: one sample per iteration, reported with SetIterationTime; returns the samples.
std::vector<double> time_in_benchmark(benchmark::State& state, const Launch& launch, cudaStream_t stream,
                                      const TimingPlan& plan);

// Repetitions for a kernel that takes `seconds`: enough for a stable median (at least 10), bounded so the full sweep
// stays within minutes (about 0.25 s of timed work per point, at most 100).
int default_repetitions(double seconds);

}  // namespace bench

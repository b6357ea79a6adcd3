// Samples of one launch on the GPU (docs/measuring.md): CUDA events on the kernel's stream around each timed sample,
// the L2 flush (cold mode) enqueued before the start event so that it is outside the measurement and also hides the
// launch latency, warm-up launches first, samples until the median is known well enough (bench/timing/stats.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <vector>

#include "bench/gpu/cuda_raii.hpp"
#include "bench/timing/l2_flusher.hpp"
#include "bench/timing/stats.hpp"
#include "bench/timing/stream_gate.hpp"

namespace bench {

using Launch = std::function<void(cudaStream_t)>;

struct TimingPlan {
  int warmup_launches = 3;
  double warmup_min_seconds = 0.01;    // keep warming up until this much GPU time has passed (clocks ramp up)
  int launches_per_sample = 1;         // calls of the Launch back to back between the two events of one sample
  int kernels_per_launch = 1;          // kernels one call runs (a CUDA graph of several); the time is divided by both
  const L2Flusher* flusher = nullptr;  // cold mode when set: flushed before every sample
  StreamGate* gate = nullptr;          // when set (and enabled), each sample is queued whole before it runs
};

// Runs the warm-up: at least warmup_launches kernels and warmup_min_seconds of wall time (at most 1000 kernels). Its
// first sample is not gated and is synchronized: CUDA loads a kernel's code at its first launch, and that load may wait
// for the GPU to go idle, which a held gate would never let happen. Returns the mean time of one kernel in seconds
// (it decides whether a point is short, and sizes its batches).
double warm_up(const Launch& launch, cudaStream_t stream, const TimingPlan& plan);

// Times one sample and returns seconds per kernel.
double time_sample(const Launch& launch, cudaStream_t stream, const TimingPlan& plan, const CudaEvent& start,
                   const CudaEvent& stop);

// Samples until `rule` says the median is known (or a cap is reached); *why says which.
std::vector<double> time_until_stable(const Launch& launch, cudaStream_t stream, const TimingPlan& plan,
                                      const StopRule& rule, Stop* why);

// Short kernels: one launch between two events carries a fixed cost of about a microsecond or two, as large
// as a small decode kernel. A point whose single launch takes less than this is also timed in batches.
inline constexpr double kShortKernelSeconds = 20e-6;
// Kernels per batched sample for a kernel of `seconds`: enough for about 100 us of work (the events' fixed cost then
// under ~2 %), at least 2, at most 32 and at most `max_copies` (cold mode: one operand copy per launch of a sample).
// 0 when fewer than 2 fit.
int batched_launches(double seconds, int max_copies);

}  // namespace bench

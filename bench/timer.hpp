// Timing on the GPU (docs/measuring.md): CUDA events on the kernel's stream around each timed sample, the L2 flush
// (cold mode) enqueued before the start event so that it is outside the measurement and also hides the launch
// latency, warm-up launches first, samples until the median is known well enough (bench/stats.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/cuda_raii.hpp"
#include "bench/stats.hpp"
#include "kernels/roofs.cuh"

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

// Holds a stream while a sample is enqueued (kernels::stream_gate), so that the sample's start event, launches and stop
// event are all queued before any of them runs: the events then time the GPU, not the host's launch latency or rate
// (which, for a few-microsecond kernel, is as long as the kernel). If a gate ever waits out its timeout (a host that
// stalls, or a tool such as a profiler that makes launches block), the gate turns itself off for the rest of the run:
// the sample is taken again without it, and later samples are not gated (why() says so).
class StreamGate {
 public:
  explicit StreamGate(std::uint64_t timeout_ns = 1'000'000'000);
  ~StreamGate();
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;
  void hold(cudaStream_t stream);  // enqueues the gate; the stream waits from then on
  void release();                  // lets it go (again harmless)
  bool timed_out() const;          // the last gate gave up waiting (read after the stream synchronized)
  bool enabled() const { return why_.empty(); }
  void disable(const std::string& why) { why_ = why; }
  const std::string& why() const { return why_; }  // empty while enabled

 private:
  int* host_ = nullptr;  // pinned and mapped: [0] the flag, [1] the gate's timed-out mark
  std::uint64_t timeout_ns_;
  std::string why_;
};

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

// `launch` called `times` times on `stream`, captured into one CUDA graph (a warm batched sample: one graph launch,
// no per-kernel launch overhead). The constructor throws CudaError if capture fails; the stream is usable afterwards.
class CudaGraph {
 public:
  CudaGraph(const Launch& launch, int times, cudaStream_t stream);
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  void launch(cudaStream_t stream) const;

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

// The mean SM clock over a stretch of stream work: clock_probe before and after it (kernels/roofs.cuh).
class ClockProbe {
 public:
  explicit ClockProbe(int sm_count);
  void before(cudaStream_t stream);
  void after(cudaStream_t stream);
  // Synchronizes the stream; the median over SMs of their mean clock (MHz), or empty (see probe_clock_mhz).
  std::optional<double> mean_mhz(cudaStream_t stream) const;

 private:
  int sm_count_;
  DeviceBuffer before_, after_;
};

// The median over SMs stamped both times of (cycles elapsed) / (ns elapsed), in MHz; empty when no SM was stamped
// twice or the interval is under 1 ms (the global timer's resolution is about a microsecond).
std::optional<double> probe_clock_mhz(const std::vector<kernels::ClockStamp>& before,
                                      const std::vector<kernels::ClockStamp>& after);

}  // namespace bench

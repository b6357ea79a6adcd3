// Hardware counters per point (--counters): DRAM and L2 bytes and the kernel's duration, read with CUPTI's range
// profiler in a pass of its own after the timing (so profiling never disturbs a timed launch), in the same L2 state.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/timing/sampler.hpp"

namespace bench {

// The metrics bench_llama reads (Nsight Compute / CUPTI names); the offline check and the profiler use this list.
const std::vector<const char*>& counter_metrics();

struct CounterValues {
  double dram_read_bytes = 0;
  double dram_write_bytes = 0;
  double l2_bytes = 0;
  double duration_ns = 0;
  double dram_bytes() const { return dram_read_bytes + dram_write_bytes; }
};

// Offline, with no GPU: whether every metric of counter_metrics() exists on `chip` ("GA102", "GH100", ...) and how
// many replay passes collecting them takes. On failure `error` says why.
struct MetricCheck {
  bool valid = false;
  std::size_t passes = 0;
  std::string error;
};
MetricCheck check_metrics_offline(const std::string& chip);

class CounterProfiler {
 public:
  // A profiler on the current device, or nullptr with *why set (no permission, a profiler already attached, an
  // unsupported GPU): the caller says so once and measures without counters.
  static std::unique_ptr<CounterProfiler> create(std::string* why);
  ~CounterProfiler();
  CounterProfiler(const CounterProfiler&) = delete;
  CounterProfiler& operator=(const CounterProfiler&) = delete;

  // Profiles one launch (replayed as many passes as the metrics need, each after the flush when one is given).
  // Empty when CUPTI fails; *why says why.
  std::optional<CounterValues> measure(const Launch& launch, cudaStream_t stream, const L2Flusher* flusher,
                                       std::string* why);

 private:
  struct State;
  explicit CounterProfiler(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// What to tell a user whose counters are refused, with the fix.
std::string counters_refused_hint(const std::string& why);

}  // namespace bench

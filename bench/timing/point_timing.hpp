// The timing policy (docs/measuring.md, "One point"): a ceiling is timed one launch per sample; a point one launch per
// sample, and, when short (cold) or always (warm), in batches as well: cold batches run each launch on its own operand
// copy after one flush, warm batches are one CUDA graph of back-to-back launches. Whatever the policy, the samples
// behind the reported median are bracketed once by the clock probe and NVML's readings.
#pragma once

#include <cuda_runtime_api.h>

#include <functional>

#include "bench/gpu/nvml.hpp"
#include "bench/rows/measurement.hpp"
#include "bench/timing/clock_probe.hpp"
#include "bench/timing/sampler.hpp"

namespace bench {

class PointTimer {
 public:
  // `flusher` (cold mode) and `gate` may be null; the timer uses them, it does not own them.
  PointTimer(cudaStream_t stream, const L2Flusher* flusher, StreamGate* gate, const Nvml& nvml, void* nvml_device,
             int sm_count, bool warm);

  // A ceiling: warm-up, then samples until `rule` stops them; no flush (the DRAM ceilings are far larger than L2,
  // the MMA loops touch no memory).
  void time_ceiling(const Launch& launch, const StopRule& rule, Measurement& m);

  // A point: `launch` runs it on operand copy 0, `launch_copy(i, stream)` on copy i, and `make_copies(n)` makes up
  // to n copies and returns how many there are. Fills the timing fields of `m`.
  void time_point(const Launch& launch, const std::function<void(int, cudaStream_t)>& launch_copy,
                  const std::function<int(int)>& make_copies, const StopRule& rule, Measurement& m);

 private:
  // The samples behind the reported median, between the telemetry readings and the clock probe.
  void bracketed(const Launch& body, const TimingPlan& plan, const StopRule& rule, Measurement& m);

  cudaStream_t stream_;
  const L2Flusher* flusher_;
  StreamGate* gate_;
  const Nvml& nvml_;
  void* nvml_device_;
  ClockProbe probe_;
  bool warm_;
};

}  // namespace bench

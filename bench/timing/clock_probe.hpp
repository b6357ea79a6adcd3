// The SM clock over the samples of a point, read on the GPU itself (kernels/roofs.cuh's clock_probe).
#pragma once

#include <cuda_runtime_api.h>

#include <optional>
#include <vector>

#include "bench/gpu/cuda_raii.hpp"
#include "kernels/roofs.cuh"

namespace bench {

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

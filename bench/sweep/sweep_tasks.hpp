// What a sweep runs, in run order: the ceilings, every point the plan has for every implementation (each as one task
// per distinct measurement, or a skipped task that says why it cannot run here), then the ceilings again. Pure: the
// device is a DeviceInfo and the variants' table is host code, so the CPU tests build the tasks of any sweep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/app/cli.hpp"
#include "bench/gpu/device_info.hpp"
#include "bench/sweep/ceilings.hpp"
#include "bench/timing/stats.hpp"
#include "kernels/gemm_args.cuh"
#include "roofline/plan.hpp"

namespace bench {

struct SweepTask {
  enum class Kind { kCeiling, kPoint, kSkipped };
  Kind kind = Kind::kPoint;
  std::string name;  // the benchmark's name (a skipped point's, had it run): unique in the sweep
  std::string impl;  // cublas, hand, or a variant's name (kPoint, kSkipped); the ceiling's impl (kCeiling)
  StopRule rule;     // when to stop sampling (kCeiling, kPoint)
  // kCeiling
  Ceiling ceiling;
  std::string pass;  // start (before the points) or end (after them)
  // kPoint, kSkipped
  std::size_t measurement = 0;                    // index into Plan::measurements
  std::vector<std::size_t> points;                // the plan's points this measurement stands for
  const kernels::GemmVariant* variant = nullptr;  // kPoint with a hand-written implementation
  std::string skipped_because;                    // kSkipped
};

// Device memory a point leaves free beyond its buffers: the cuBLAS workspace, the CUDA context's growth.
inline constexpr std::int64_t kMemoryHeadroomBytes = std::int64_t{512} << 20;
// Whether a point's buffers fit in free device memory, leaving room for the flush buffer, cuBLAS's workspace and the
// validation reference.
bool fits_in_memory(std::int64_t buffer_bytes, std::int64_t output_bytes, std::int64_t free_bytes);

// The tasks of a sweep. `selected(name)` applies --benchmark_filter to the points (the ceilings always run);
// `flush_bytes` is the device memory the L2 flush holds (0 in warm mode).
std::vector<SweepTask> sweep_tasks(const roofline::Plan& plan, const Options& options, const DeviceInfo& device,
                                   std::int64_t flush_bytes, bool (*selected)(const std::string& name));

}  // namespace bench

// One device's sweep: the tasks (sweep_tasks.hpp: the ceilings, every point for every implementation, the ceilings
// again) run in order through Google Benchmark (gbench_adapter.hpp); each point is measured (measure_point.hpp) and
// each ceiling timed (ceilings.hpp, point_timing.hpp); their rows go to the sink as they finish (row_sink.hpp), which
// at the end judges every point again against the roofs interpolated to its time. This file owns the run's CUDA
// resources and the failure policy: an exception is a row and the sweep goes on, a device fault stops it, and so
// does SIGINT or a row that cannot be written.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "bench/app/cli.hpp"
#include "bench/gpu/device_info.hpp"
#include "bench/gpu/nvml.hpp"
#include "bench/rows/row_sink.hpp"
#include "roofline/machine_spec.hpp"
#include "roofline/plan.hpp"

namespace bench {

// Set by the SIGINT/SIGTERM handler; tasks that have not started yet are not run.
std::atomic<bool>& stop_requested();

// Runs the sweep and writes roofline.csv, samples.csv and gbench.json into `folder`; returns the counts.
// benchmark::Initialize must have been called.
SweepCounts run_sweep(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                      const DeviceInfo& device, const Nvml& nvml, const roofline::MachineSpec* spec,
                      const roofline::RunInfo& run, const std::string& folder);

}  // namespace bench

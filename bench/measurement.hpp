// What timing one problem produced, and how it becomes CSV rows (pure functions, tested on the CPU).
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "bench/counters.hpp"
#include "bench/nvml.hpp"
#include "bench/stats.hpp"
#include "roofline/machine_spec.hpp"
#include "roofline/plan.hpp"

namespace bench {

struct Measurement {
  std::string status = roofline::kStatusOk;  // ok, invalid, skipped, error
  std::string reason;
  std::vector<double> samples_s;         // the samples behind the median, seconds per kernel
  int launches_per_sample = 1;           // kernels behind one of samples_s (a batch for short points)
  std::vector<double> single_samples_s;  // one launch alone per sample, when samples_s are batched
  Stop stop = Stop::kFixed;              // why sampling stopped
  std::optional<double> rel_error;
  std::vector<Telemetry> telemetry;       // NVML readings: the first before warm-up, the last after the samples
  std::optional<double> probe_clock_mhz;  // the clock probe's mean SM clock over the samples
  double timed_until = 0;                 // steady-clock seconds when the last sample ended
  std::optional<CounterValues> counters;  // the counter pass, with --counters
};

// What a benchmark that threw measured: a CudaError that ran out of memory is a skipped point, any other failure an
// error row whose reason is the message. *sticky is set when the CUDA context cannot be trusted any more (a kernel
// fault): the sweep must stop.
Measurement failed_measurement(const std::exception& e, bool* sticky);

// The run's measured ceilings, filled in as the ceiling benchmarks finish (they run first, and again last).
struct MeasuredRoofs {
  std::optional<double> fp16_tflops, bf16_tflops, gbps;
  std::optional<double> tflops(roofline::Dtype dtype) const {
    return dtype == roofline::Dtype::kF16 ? fp16_tflops : bf16_tflops;
  }
};

// The roofs at time t, between `start` (measured at t0) and `end` (at t1): linear in t, clamped to [t0, t1]; a roof
// measured in only one pass is taken as it is.
MeasuredRoofs interpolate_roofs(const MeasuredRoofs& start, double t0, const MeasuredRoofs& end, double t1, double t);

// How far above a measured roof a point may sit before it is an error, not a result: the roofs are medians of
// their own repetitions, so a few percent is noise.
inline constexpr double kAboveRoofTolerance = 1.05;

// From a measurement's telemetry: the SM clock (the probe's, else the mean of the NVML readings), mean memory clock,
// highest temperature and power, the clock event reasons seen and whether any reading was throttled; over the interval
// from the first reading to the last, mean power and the power- and thermal-capped fractions; and clock_low against
// `max_sm_clock_mhz` (when known).
void apply_telemetry(const Measurement& m, std::optional<double> max_sm_clock_mhz, roofline::PointRow& row);

// The row of one point measured with `impl`, not yet judged against a roof (judge_row does that). `spec` may be null
// (a GPU without a datasheet entry).
roofline::PointRow unjudged_row(const roofline::ModelConfig& model, const roofline::PlannedPoint& point,
                                const roofline::RunInfo& run, const std::string& impl, const Measurement& m,
                                const roofline::MachineSpec* spec, std::optional<double> max_sm_clock_mhz);

// Judges a row from unjudged_row against the measured roofs (the datasheet's when the run has none): attainable,
// roof_fraction, bound, and an error status for a point above a measured roof. With `warm_l2`, DRAM is not the
// bandwidth a point is held to, so being above the DRAM roof is not an error.
void judge_row(roofline::PointRow& row, const MeasuredRoofs& roofs, const roofline::MachineSpec* spec, bool warm_l2);

// unjudged_row, then judge_row.
roofline::PointRow measured_row(const roofline::ModelConfig& model, const roofline::PlannedPoint& point,
                                const roofline::RunInfo& run, const std::string& impl, const Measurement& m,
                                const MeasuredRoofs& roofs, const roofline::MachineSpec* spec, bool warm_l2,
                                std::optional<double> max_sm_clock_mhz = std::nullopt);

// The row of a measured ceiling (series "ceiling"): `flops` and `bytes` are the work of one launch.
roofline::PointRow ceiling_row(const roofline::RunInfo& run, const std::string& name, roofline::Dtype dtype,
                               double flops, double bytes, const Measurement& m, const roofline::MachineSpec* spec,
                               std::optional<double> max_sm_clock_mhz = std::nullopt);

// Device memory a point leaves free beyond its buffers: the cuBLAS workspace, the CUDA context's growth.
inline constexpr std::int64_t kMemoryHeadroomBytes = std::int64_t{512} << 20;
// Whether a point's buffers fit in free device memory, leaving room for the flush buffer, cuBLAS's workspace and the
// validation reference.
bool fits_in_memory(std::int64_t buffer_bytes, std::int64_t output_bytes, std::int64_t free_bytes);

}  // namespace bench

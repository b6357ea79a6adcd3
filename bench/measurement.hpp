// What timing one problem produced, and how it becomes CSV rows (pure functions, tested on the CPU).
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "bench/counters.hpp"
#include "bench/nvml.hpp"
#include "roofline/machine_spec.hpp"
#include "roofline/plan.hpp"

namespace bench {

struct Measurement {
  std::string status = roofline::kStatusOk;  // ok, invalid, skipped, error
  std::string reason;
  std::vector<double> samples_s;  // one per timed repetition, seconds per launch
  std::optional<double> rel_error;
  std::vector<Telemetry> telemetry;       // readings taken around the timed loop
  std::optional<CounterValues> counters;  // the counter pass, with --counters
};

// What a benchmark that threw measured: a CudaError that ran out of memory is a skipped point, any other failure an
// error row whose reason is the message. *sticky is set when the CUDA context cannot be trusted any more (a kernel
// fault): the sweep must stop.
Measurement failed_measurement(const std::exception& e, bool* sticky);

// The run's measured ceilings, filled in as the ceiling benchmarks finish (they run first).
struct MeasuredRoofs {
  std::optional<double> fp16_tflops, bf16_tflops, gbps;
  std::optional<double> tflops(roofline::Dtype dtype) const {
    return dtype == roofline::Dtype::kF16 ? fp16_tflops : bf16_tflops;
  }
};

// How far above a measured roof a point may sit before it is an error, not a result: the roofs are medians of
// their own repetitions, so a few percent is noise.
inline constexpr double kAboveRoofTolerance = 1.05;

// From telemetry readings: mean SM and memory clocks, highest temperature and power, the clock event reasons seen,
// and whether any reading was throttled.
void apply_telemetry(const std::vector<Telemetry>& readings, roofline::PointRow& row);

// The row of one point measured with `impl`. `spec` may be null (a GPU without a datasheet entry). With
// `warm_l2`, DRAM is not the bandwidth a point is held to, so being above the DRAM roof is not an error.
roofline::PointRow measured_row(const roofline::ModelConfig& model, const roofline::PlannedPoint& point,
                                const roofline::RunInfo& run, const std::string& impl, const Measurement& m,
                                const MeasuredRoofs& roofs, const roofline::MachineSpec* spec, bool warm_l2);

// The row of a measured ceiling (series "ceiling"): `flops` and `bytes` are the work of one launch.
roofline::PointRow ceiling_row(const roofline::RunInfo& run, const std::string& name, roofline::Dtype dtype,
                               double flops, double bytes, const Measurement& m, const roofline::MachineSpec* spec);

// Whether a point's buffers fit in free device memory, leaving room for the flush buffer, cuBLAS's workspace and the
// validation reference.
bool fits_in_memory(std::int64_t buffer_bytes, std::int64_t output_bytes, std::int64_t free_bytes);

}  // namespace bench

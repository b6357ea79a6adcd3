// A measurement becomes CSV rows: the rows of the points it stands for (rates, telemetry, counters; judged against
// the roofs by roofline/judge.hpp), and the row of a measured ceiling. Pure functions, tested on the CPU.
#pragma once

#include <optional>
#include <string>

#include "bench/rows/measurement.hpp"
#include "roofline/judge.hpp"
#include "roofline/machine_spec.hpp"
#include "roofline/plan.hpp"

namespace bench {

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

// unjudged_row, then judge_row.
roofline::PointRow measured_row(const roofline::ModelConfig& model, const roofline::PlannedPoint& point,
                                const roofline::RunInfo& run, const std::string& impl, const Measurement& m,
                                const roofline::MeasuredRoofs& roofs, const roofline::MachineSpec* spec, bool warm_l2,
                                std::optional<double> max_sm_clock_mhz = std::nullopt);

// The row of a measured ceiling (series "ceiling", op `name`, impl hand or cublas): `flops` and `bytes` are the work
// of one launch.
roofline::PointRow ceiling_row(const roofline::RunInfo& run, const std::string& name, const std::string& impl,
                               roofline::Dtype dtype, double flops, double bytes, const Measurement& m,
                               const roofline::MachineSpec* spec,
                               std::optional<double> max_sm_clock_mhz = std::nullopt);

}  // namespace bench

// Judging a measured row against a roof: the measured roofs of a run (interpolated in time between the ceilings
// measured before and after the points), else the datasheet's; attainable, roof_fraction, bound, and the physical
// sanity check that makes a point above a measured roof an error. Measured rows (bench/) and predicted ones (plan.cpp,
// which puts each point on the datasheet's roof) are judged here.
#pragma once

#include <optional>

#include "roofline/machine_spec.hpp"
#include "roofline/schema.hpp"

namespace roofline {

// A run's measured roofs: the best of its ceilings (bench measures them before the points, and again after).
struct MeasuredRoofs {
  std::optional<double> fp16_tflops, bf16_tflops, gbps;
  std::optional<double> tflops(Dtype dtype) const { return dtype == Dtype::kF16 ? fp16_tflops : bf16_tflops; }
};

// The roofs at time t, between `start` (measured at t0) and `end` (at t1): linear in t, clamped to [t0, t1]; a roof
// measured in only one pass is taken as it is.
MeasuredRoofs interpolate_roofs(const MeasuredRoofs& start, double t0, const MeasuredRoofs& end, double t1, double t);

// How far above a measured roof a point may sit before it is an error, not a result: the roofs are medians of
// their own repetitions, so a few percent is noise.
inline constexpr double kAboveRoofTolerance = 1.05;

// Judges a row against the measured roofs (the datasheet's when the run has none): attainable, roof_fraction, bound,
// and an error status for an ok point above a measured roof. With `warm_l2`, DRAM is not the bandwidth a point is
// held to, so being above the DRAM roof is not an error. A row without an achieved rate (not timed) is left as it is.
void judge_row(PointRow& row, const MeasuredRoofs& roofs, const MachineSpec* spec, bool warm_l2);

}  // namespace roofline

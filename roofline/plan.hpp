// The plan of a run: every (operator, setting, dtype) point of the sweep, and the distinct problems behind them.
// Points with the same problem (q/k/v/o of a multi-head model; decode linears at every seq_len) share one
// measurement: it is timed once and reported for every point it stands for.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "roofline/machine_spec.hpp"
#include "roofline/model_config.hpp"
#include "roofline/operators.hpp"
#include "roofline/schema.hpp"
#include "roofline/sweep.hpp"

namespace roofline {

struct PlannedPoint {
  Op op;
  Setting setting;
  Dtype dtype;
  GemmProblem problem;
  Cost cost;
  std::size_t measurement;  // index into Plan::measurements
};

struct Plan {
  std::vector<PlannedPoint> points;
  std::vector<GemmProblem> measurements;  // distinct problems, in first-use order
};

Plan make_plan(const ModelConfig& model, const SweepSpec& sweep);

// A row with the point's shape and cost filled in; the run, measurement and result columns are left to the caller.
PointRow shape_row(const ModelConfig& model, const PlannedPoint& point);

// The predicted row of a point on a datasheet machine: achieved = attainable at the analytic intensity; beside it, the
// kernel model's achieved point for the variant `hand` would take (among `allowed_variants`, when given).
PointRow predicted_row(const ModelConfig& model, const PlannedPoint& point, const MachineSpec& spec, const RunInfo& run,
                       const std::vector<std::string>* allowed_variants = nullptr);

}  // namespace roofline

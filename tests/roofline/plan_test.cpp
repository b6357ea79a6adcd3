#include "roofline/plan.hpp"

#include <gtest/gtest.h>

#include <map>

namespace roofline {
namespace {

TEST(Plan, DefaultSweepHas49SettingsPerOperatorAndPhase) {
  const ModelConfig model = resolve_model("llama-33b");
  const Plan plan = make_plan(model, default_sweep());
  EXPECT_EQ(plan.points.size(), 2u * 9 * 49);
  std::map<std::pair<std::string, std::string>, int> per_op_phase;
  for (const auto& p : plan.points) ++per_op_phase[{op_info(p.op).name, phase_name(p.setting.phase)}];
  EXPECT_EQ(per_op_phase.size(), 18u);
  for (const auto& [key, count] : per_op_phase) EXPECT_EQ(count, 49) << key.first << " " << key.second;
}

TEST(Plan, RepeatedShapesShareOneMeasurement) {
  const ModelConfig model = resolve_model("llama-33b");
  SweepSpec sweep = default_sweep();
  sweep.phases = {Phase::kAr};
  const Plan plan = make_plan(model, sweep);
  // Decode, MHA: q/k/v/o share a shape; gate/up share one; down has its own; linears do not depend on s.
  // Per b: 3 linear shapes; attention: qk and pv per (b, s). 7 * 3 + 49 * 2 = 119.
  EXPECT_EQ(plan.measurements.size(), 7u * 3 + 49 * 2);
  for (const auto& p : plan.points) EXPECT_EQ(plan.measurements[p.measurement].key(), p.problem.key());
}

TEST(Plan, PredictedRowsSitOnTheRoof) {
  const ModelConfig model = resolve_model("llama-33b");
  const MachineSpec& a40 = *find_machine_spec("a40");
  const Plan plan = make_plan(model, default_sweep());
  RunInfo run;
  for (const auto& p : plan.points) {
    const PointRow row = predicted_row(model, p, a40, run);
    EXPECT_EQ(row.status, "predicted");
    const double expected = std::min(149.7, p.cost.intensity() * 696 / 1000);
    EXPECT_NEAR(*row.achieved_tflops, expected, expected * 1e-12);
    EXPECT_EQ(row.bound, p.cost.intensity() < 215.08 ? "memory" : "compute");
    EXPECT_FALSE(row.time_us_median.has_value());
  }
  // qk init at b = 64, s = 8192 would not fit in an A40's 48 GB: said in the reason, still predicted.
  const auto it = std::find_if(plan.points.begin(), plan.points.end(), [](const PlannedPoint& p) {
    return p.op == Op::kQk && p.setting.phase == Phase::kInit && p.setting.batch == 64 && p.setting.seq_len == 8192;
  });
  ASSERT_NE(it, plan.points.end());
  EXPECT_NE(predicted_row(model, *it, a40, run).reason.find("would not fit"), std::string::npos);
}

}  // namespace
}  // namespace roofline

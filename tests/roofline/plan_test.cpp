#include "roofline/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

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

TEST(Plan, MedusaHasTheDefaultCandidatesTimes49SettingsPerOperator) {
  const ModelConfig model = resolve_model("llama-33b");
  SweepSpec sweep = default_sweep();
  sweep.phases = {Phase::kMedusa};
  const Plan plan = make_plan(model, sweep);
  EXPECT_EQ(plan.points.size(), 9u * 49 * 7);
  std::map<std::pair<std::string, std::int64_t>, int> per_op_q;
  for (const auto& p : plan.points) {
    EXPECT_EQ(p.setting.phase, Phase::kMedusa);
    ++per_op_q[{op_info(p.op).name, p.setting.candidates}];
  }
  EXPECT_EQ(per_op_q.size(), 9u * 7);
  for (const auto& [key, count] : per_op_q) EXPECT_EQ(count, 49) << key.first << " q=" << key.second;
  // Linears depend on M = b*q only: the 49 products of b in {1..64} and q in {16..112} take 31 distinct values, for
  // each of the 3 linear shapes of an MHA model; attention has one qk and one pv per (b, s, q).
  EXPECT_EQ(plan.measurements.size(), 3u * 31 + 2 * 343);
  for (const auto& p : plan.points) EXPECT_EQ(plan.measurements[p.measurement].key(), p.problem.key());
  // --phase all: linears are shared across phases by M alone. M takes 13 values b*s (init), 7 values b (ar) and 31
  // values b*q (medusa), 42 distinct in all (ar's b = 16, 32, 64 are medusa's b*q; medusa's b*q = 128 ... 4096 are
  // init's b*s), times 3 linear shapes; attention adds 2 * 49 (init), 2 * 49 (ar) and 2 * 343 (medusa).
  sweep.phases = all_phases();
  const Plan all = make_plan(model, sweep);
  EXPECT_EQ(all.points.size(), 9u * 49 * (1 + 1 + 7));
  EXPECT_EQ(all.measurements.size(), 3u * 42 + 2 * 49 + 2 * 49 + 2 * 343);
}

TEST(Plan, MedusaWithOneCandidateEqualsArRowForRow) {
  const MachineSpec& a100 = *find_machine_spec("a100-pcie-80gb");
  for (const char* config :
       {R"({"hidden_size": 6656, "num_attention_heads": 52, "intermediate_size": 17920})",
        R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})"}) {
    const ModelConfig model = parse_model_config(config, "test");
    SweepSpec ar = default_sweep();
    ar.phases = {Phase::kAr};
    SweepSpec medusa = ar;
    medusa.phases = {Phase::kMedusa};
    medusa.candidates = {1};
    const Plan a = make_plan(model, ar), m = make_plan(model, medusa);
    ASSERT_EQ(a.points.size(), m.points.size());
    ASSERT_EQ(a.measurements.size(), m.measurements.size());
    const std::vector<std::string> header = csv_header();
    RunInfo run;
    for (std::size_t i = 0; i < a.points.size(); ++i) {
      std::vector<std::string> want = csv_cells(predicted_row(model, a.points[i], a100, run));
      std::vector<std::string> got = csv_cells(predicted_row(model, m.points[i], a100, run));
      for (std::size_t c = 0; c < header.size(); ++c) {
        if (header[c] == "phase") {
          EXPECT_EQ(want[c], "ar");
          EXPECT_EQ(got[c], "medusa");
        } else {
          ASSERT_EQ(got[c], want[c]) << header[c] << " of point " << i;
        }
      }
    }
  }
}

TEST(Plan, CandidatesColumnIsQForMedusaOneForArEmptyForInit) {
  const ModelConfig model = resolve_model("llama-33b");
  SweepSpec sweep = quick_sweep();
  sweep.phases = all_phases();
  sweep.ops = {Op::kQk};
  const Plan plan = make_plan(model, sweep);
  std::map<std::string, std::set<std::string>> cells;
  const std::size_t column = [] {
    const auto header = csv_header();
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), "candidates") - header.begin());
  }();
  for (const auto& p : plan.points) {
    cells[phase_name(p.setting.phase)].insert(csv_cells(shape_row(model, p)).at(column));
  }
  EXPECT_EQ(cells["init"], (std::set<std::string>{""}));
  EXPECT_EQ(cells["ar"], (std::set<std::string>{"1"}));
  EXPECT_EQ(cells["medusa"], (std::set<std::string>{"16", "64"}));
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

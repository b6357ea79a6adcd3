// The tasks of a sweep, on the CPU: the ceilings before and after the points whatever the filter says, one timed
// task per measurement and implementation, and the points that cannot run here as skipped tasks that say why.
#include "bench/sweep/sweep_tasks.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bench/app/device_kind.hpp"
#include "roofline/model_config.hpp"
#include "roofline/sweep.hpp"

namespace bench {
namespace {

using Kind = SweepTask::Kind;

DeviceInfo hopper() {
  DeviceInfo d;
  d.name = "test GPU";
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.l2_bytes = 50 << 20;
  d.memory_bytes = d.free_memory_bytes = std::int64_t{80} << 30;
  return d;
}

Options quick(std::vector<roofline::Dtype> dtypes = {roofline::Dtype::kF16}) {
  Options o;
  o.sweep = roofline::quick_sweep();
  o.sweep.dtypes = std::move(dtypes);
  return o;
}

const roofline::ModelConfig& model() {
  static const roofline::ModelConfig m = roofline::resolve_model("llama-33b");
  return m;
}

bool every(const std::string&) { return true; }
bool no_cublas(const std::string& name) { return name.find("/cublas") == std::string::npos; }

std::vector<std::string> ceiling_names(const std::vector<SweepTask>& tasks, const std::string& pass) {
  std::vector<std::string> names;
  for (const SweepTask& t : tasks) {
    if (t.kind == Kind::kCeiling && t.pass == pass) names.push_back(t.ceiling.name);
  }
  return names;
}

TEST(SweepTasks, CeilingsComeFirstAndLastAndEveryMeasurementOncePerImplementation) {
  const Options options = quick({roofline::Dtype::kF16, roofline::Dtype::kBF16});
  const roofline::Plan plan = roofline::make_plan(model(), options.sweep);
  const std::vector<SweepTask> tasks = sweep_tasks(plan, options, hopper(), 0, every);

  const std::vector<std::string> expected = {
      "dram_read",
      "dram_copy",
      "mma_sync_fp16",
      "mma_sync_rotating_fp16",
      "cublas_gemm_" + std::to_string(kHarnessWork.cublas_ceiling_size) + "_fp16",
      "mma_sync_bf16",
      "mma_sync_rotating_bf16",
      "cublas_gemm_" + std::to_string(kHarnessWork.cublas_ceiling_size) + "_bf16"};
  EXPECT_EQ(ceiling_names(tasks, "start"), expected);
  EXPECT_EQ(ceiling_names(tasks, "end"), expected);
  const std::size_t n = expected.size();
  ASSERT_GT(tasks.size(), 2 * n);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const bool ceiling = i < n || i >= tasks.size() - n;
    EXPECT_EQ(tasks[i].kind == Kind::kCeiling, ceiling) << i << ": " << tasks[i].name;
  }

  std::set<std::string> names;
  std::vector<int> per_impl_measurement(2 * plan.measurements.size(), 0);
  for (const SweepTask& t : tasks) {
    EXPECT_NE(t.kind, Kind::kSkipped) << t.impl << " " << t.skipped_because;  // everything fits on this GPU
    EXPECT_TRUE(names.insert(t.name).second) << "duplicate name " << t.name;
    if (t.kind != Kind::kPoint) continue;
    EXPECT_EQ(t.variant != nullptr, t.impl == "hand") << t.name;
    EXPECT_FALSE(t.points.empty());
    ++per_impl_measurement[2 * t.measurement + (t.impl == "hand" ? 0 : 1)];
  }
  for (int count : per_impl_measurement) EXPECT_EQ(count, 1);
  // The ceilings sample to their own rule; --repetitions is for the points only.
  EXPECT_EQ(tasks.front().rule.min_samples, ceiling_stop_rule().min_samples);
}

TEST(SweepTasks, TheFilterSelectsPointsButNeverTheCeilings) {
  Options options = quick();
  options.repetitions = 7;
  const roofline::Plan plan = roofline::make_plan(model(), options.sweep);
  const std::vector<SweepTask> all = sweep_tasks(plan, options, hopper(), 0, every);
  const std::vector<SweepTask> hand = sweep_tasks(plan, options, hopper(), 0, no_cublas);
  EXPECT_EQ(ceiling_names(hand, "start"), ceiling_names(all, "start"));
  EXPECT_EQ(ceiling_names(hand, "end"), ceiling_names(all, "end"));
  int points = 0;
  for (const SweepTask& t : hand) {
    if (t.kind != Kind::kPoint) continue;
    ++points;
    EXPECT_EQ(t.impl, "hand");
    EXPECT_EQ(t.rule.max_samples, 7);
    EXPECT_EQ(t.rule.min_samples, 7);
  }
  EXPECT_EQ(points, static_cast<int>(plan.measurements.size()));
}

TEST(SweepTasks, PointsThatCannotRunHereAreSkippedTasksThatSayWhy) {
  const Options options = quick();
  const roofline::Plan plan = roofline::make_plan(model(), options.sweep);

  // No hand-written variant runs on sm_70; cuBLAS still does.
  DeviceInfo volta = hopper();
  volta.cc_major = 7;
  for (const SweepTask& t : sweep_tasks(plan, options, volta, 0, every)) {
    if (t.kind == Kind::kCeiling) continue;
    if (t.impl == "hand") {
      ASSERT_EQ(t.kind, Kind::kSkipped);
      EXPECT_NE(t.skipped_because.find("sm_70"), std::string::npos) << t.skipped_because;
      EXPECT_FALSE(t.points.empty());
    } else {
      EXPECT_EQ(t.impl, "cublas");
      EXPECT_EQ(t.kind, Kind::kPoint);
    }
  }

  // 2 GiB free, of which the flush buffer holds 1: the large prefill points do not fit, the decode ones do.
  DeviceInfo small = hopper();
  small.free_memory_bytes = std::int64_t{2} << 30;
  const std::int64_t left = std::int64_t{1} << 30;
  int skipped = 0, timed = 0;
  for (const SweepTask& t : sweep_tasks(plan, options, small, std::int64_t{1} << 30, every)) {
    if (t.kind == Kind::kCeiling) continue;
    if (t.kind == Kind::kSkipped) {
      ++skipped;
      EXPECT_NE(t.skipped_because.find("does not fit"), std::string::npos) << t.skipped_because;
      EXPECT_NE(t.skipped_because.find("1024 MiB free"), std::string::npos) << t.skipped_because;
    } else {
      ++timed;
    }
    // cuBLAS needs the operands only; a hand kernel also its own output, so it is skipped wherever cuBLAS is.
    const std::int64_t operands = roofline::buffer_bytes(plan.measurements[t.measurement]);
    if (t.impl == "cublas") {
      EXPECT_EQ(t.kind == Kind::kSkipped, !fits_in_memory(operands, 0, left)) << t.skipped_because;
    } else if (!fits_in_memory(operands, 0, left)) {
      EXPECT_EQ(t.kind, Kind::kSkipped);
    }
  }
  EXPECT_GT(skipped, 0);
  EXPECT_GT(timed, 0);
}

TEST(SweepTasks, AnAllowListThatLeavesOutEveryVariantSkipsTheHandPointsAndSaysSo) {
  Options options = quick();
  options.allowed_variants = std::vector<std::string>{};
  const roofline::Plan plan = roofline::make_plan(model(), options.sweep);
  for (const SweepTask& t : sweep_tasks(plan, options, hopper(), 0, every)) {
    if (t.kind == Kind::kCeiling || t.impl != "hand") continue;
    ASSERT_EQ(t.kind, Kind::kSkipped);
    EXPECT_NE(t.skipped_because.find("--allow-variants"), std::string::npos) << t.skipped_because;
  }
}

}  // namespace
}  // namespace bench

// Benchmark names and the points behind them, on the CPU: for the default and the --quick sweep of every built-in
// model (and a grouped-query config), every benchmark name is unique and every planned point is reported by exactly
// one benchmark per implementation. (Names once carried only the first point's b and "s*", so prefill linears with
// the same b*s but other b collapsed onto one name, and the reporter wrote rows for the wrong points.)
#include "bench/sweep/benchmark_plan.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "roofline/model_config.hpp"
#include "roofline/sweep.hpp"

namespace bench {
namespace {

const std::vector<std::string> kImpls = {"hand", "cublas", "gemm_mma_64x64"};

void expect_unique_and_complete(const roofline::ModelConfig& model, const roofline::SweepSpec& sweep) {
  SCOPED_TRACE(model.name);
  const roofline::Plan plan = roofline::make_plan(model, sweep);
  const std::vector<BenchmarkEntry> entries = benchmark_entries(plan, kImpls);
  std::set<std::string> names;
  std::map<std::string, std::vector<int>> reported;  // impl -> how many benchmarks report each point
  for (const auto& impl : kImpls) reported[impl].assign(plan.points.size(), 0);
  for (const BenchmarkEntry& e : entries) {
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate benchmark name " << e.name;
    EXPECT_EQ(e.name.substr(e.name.size() - e.impl.size() - 1), "/" + e.impl);
    for (std::size_t pi : e.points) {
      ASSERT_LT(pi, plan.points.size());
      EXPECT_EQ(plan.points[pi].measurement, e.measurement) << e.name;
      EXPECT_EQ(plan.points[pi].problem.key(), plan.measurements[e.measurement].key()) << e.name;
      ++reported[e.impl][pi];
    }
  }
  EXPECT_EQ(entries.size(), plan.measurements.size() * kImpls.size());
  for (const auto& [impl, counts] : reported) {
    for (std::size_t pi = 0; pi < counts.size(); ++pi) {
      EXPECT_EQ(counts[pi], 1) << impl << ": point " << pi << " (" << roofline::op_info(plan.points[pi].op).name
                               << " b=" << plan.points[pi].setting.batch << " s=" << plan.points[pi].setting.seq_len
                               << ") is reported by " << counts[pi] << " benchmarks";
    }
  }
}

std::vector<roofline::ModelConfig> models() {
  std::vector<roofline::ModelConfig> all = roofline::builtin_models();
  all.push_back(roofline::parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "llama-2-70b"));
  return all;
}

TEST(BenchmarkPlan, DefaultSweepNamesAreUniqueAndEveryPointIsReportedOncePerImplementation) {
  for (const auto& model : models()) expect_unique_and_complete(model, roofline::default_sweep());
}

TEST(BenchmarkPlan, QuickSweepNamesAreUniqueAndEveryPointIsReportedOncePerImplementation) {
  roofline::SweepSpec quick = roofline::quick_sweep();
  quick.dtypes = {roofline::Dtype::kF16, roofline::Dtype::kBF16};
  for (const auto& model : models()) expect_unique_and_complete(model, quick);
}

TEST(BenchmarkPlan, EveryPhaseWithMedusaCandidatesNamesUniquelyAndReportsEveryPointOnce) {
  roofline::SweepSpec all = roofline::default_sweep();
  all.phases = {roofline::Phase::kInit, roofline::Phase::kAr, roofline::Phase::kMedusa};
  for (const auto& model : models()) expect_unique_and_complete(model, all);
  all.candidates = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};  // odd q: b*q collides across (b, q) in many ways
  for (const auto& model : models()) expect_unique_and_complete(model, all);
}

TEST(BenchmarkPlan, PrefillLinearsWithTheSameTokensButOtherBatchesAreOneMeasurementEach) {
  // q_proj init at b*s = 512 (b = 1, 2, 4) is one measurement; b*s = 1024 is another. Both stand for several b and s,
  // so only the shape tells them apart.
  const roofline::Plan plan = roofline::make_plan(roofline::resolve_model("llama-33b"), roofline::default_sweep());
  std::map<std::string, std::set<std::int64_t>> tokens_of;
  for (const BenchmarkEntry& e : benchmark_entries(plan, {"cublas"})) {
    for (std::size_t pi : e.points) {
      const auto& p = plan.points[pi];
      if (p.op == roofline::Op::kQProj && p.setting.phase == roofline::Phase::kInit) {
        tokens_of[e.name].insert(p.setting.batch * p.setting.seq_len);
      }
    }
  }
  // b*s takes 13 values in the default sweep (128 .. 524288): 13 benchmarks, each for one b*s.
  EXPECT_EQ(tokens_of.size(), 13u);
  for (const auto& [name, tokens] : tokens_of) EXPECT_EQ(tokens.size(), 1u) << name;
  EXPECT_EQ(tokens_of.count("q_proj+k_proj+v_proj+o_proj/init/b*/s*/512x6656x6656/fp16/cublas"), 1u);
  EXPECT_EQ(tokens_of.count("q_proj+k_proj+v_proj+o_proj/init/b1/s128/128x6656x6656/fp16/cublas"), 1u);
}

TEST(BenchmarkPlan, NamesThatWouldStillReadAlikeGetTheirIndex) {
  // Two measurements that stand for the same operator and setting and have the same shape but other strides: built
  // by hand, since no sweep makes them; their names must still differ.
  roofline::Plan plan = roofline::make_plan(
      roofline::resolve_model("llama-33b"),
      roofline::SweepSpec{{roofline::Phase::kAr}, {1}, {128}, {roofline::Op::kQProj}, {roofline::Dtype::kF16}});
  ASSERT_EQ(plan.measurements.size(), 1u);
  plan.measurements.push_back(plan.measurements[0]);
  plan.measurements[1].a.ld += 8;
  plan.points.push_back(plan.points[0]);
  plan.points[1].measurement = 1;
  const auto entries = benchmark_entries(plan, {"cublas"});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_NE(entries[0].name, entries[1].name);
  EXPECT_EQ(entries[1].name, "q_proj/ar/b1/s128/1x6656x6656/fp16~1/cublas");
}

}  // namespace
}  // namespace bench

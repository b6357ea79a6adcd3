// The timing harness's decisions, on the CPU: when sampling stops, how short kernels are batched, what the clock probe
// and NVML's counters say about an interval, and how points are judged against roofs measured at both ends of the
// sweep.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "bench/gpu/nvml.hpp"
#include "bench/rows/point_rows.hpp"
#include "bench/timing/clock_probe.hpp"
#include "bench/timing/sampler.hpp"
#include "bench/timing/stats.hpp"

namespace bench {
namespace {

using roofline::judge_row;
using roofline::MeasuredRoofs;

TEST(MedianInterval, OrderStatisticsAroundTheMedian) {
  // n = 10: ranks 1 and 10 (the whole range): ten samples say little about the median.
  std::vector<double> ten = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  EXPECT_DOUBLE_EQ(median_interval(ten).low, 1);
  EXPECT_DOUBLE_EQ(median_interval(ten).high, 10);
  EXPECT_DOUBLE_EQ(median_ci_rel(ten), (10 - 1) / (2 * 5.5));
  // n = 100: ranks 40 and 61 (floor((100 - 19.6) / 2), ceil(1 + (100 + 19.6) / 2)).
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  std::shuffle(hundred.begin(), hundred.end(), std::mt19937(1));
  EXPECT_DOUBLE_EQ(median_interval(hundred).low, 40);
  EXPECT_DOUBLE_EQ(median_interval(hundred).high, 61);
  EXPECT_DOUBLE_EQ(median_ci_rel({5, 5, 5}), 0);
  EXPECT_THROW(median_interval({}), std::invalid_argument);
}

// Samples of a kernel of 1 ms with relative noise `cv` (a fixed seed), and a clock that advances by each sample's time.
struct FakeKernel {
  explicit FakeKernel(double cv) : noise(0.0, cv) {}
  double sample() {
    const double t = 1e-3 * (1 + noise(rng));
    now += t;
    return t;
  }
  std::mt19937 rng{42};
  std::normal_distribution<double> noise;
  double now = 0;
};

TEST(StopRule, QuietKernelsStopAtTheMinimumNoisyOnesTakeMoreWithinTheCaps) {
  Stop why = Stop::kContinue;
  FakeKernel quiet(0.0005);
  const auto quiet_samples =
      sample_until_stable([&] { return quiet.sample(); }, StopRule{}, [&] { return quiet.now; }, &why);
  EXPECT_EQ(why, Stop::kConverged);
  EXPECT_EQ(quiet_samples.size(), 10u);  // the floor

  FakeKernel noisy(0.03);
  const auto noisy_samples =
      sample_until_stable([&] { return noisy.sample(); }, StopRule{}, [&] { return noisy.now; }, &why);
  EXPECT_EQ(why, Stop::kConverged);
  EXPECT_GT(noisy_samples.size(), 30u);  // 3 % noise needs dozens of samples for a 0.5 % interval
  EXPECT_LE(median_ci_rel(noisy_samples), 0.005);

  FakeKernel wild(0.5);
  StopRule capped;
  capped.max_seconds = 0.05;  // 50 samples of 1 ms
  const auto wild_samples = sample_until_stable([&] { return wild.sample(); }, capped, [&] { return wild.now; }, &why);
  EXPECT_EQ(why, Stop::kTimeCap);
  EXPECT_NEAR(static_cast<double>(wild_samples.size()), 50, 3);

  StopRule few;
  few.max_samples = 12;
  FakeKernel wild2(0.5);
  EXPECT_EQ(sample_until_stable([&] { return wild2.sample(); }, few, [&] { return wild2.now; }, &why).size(), 12u);
  EXPECT_EQ(why, Stop::kSampleCap);
}

TEST(StopRule, FixedRepetitionsAreExactEvenWhenConvergedOrSlow) {
  Stop why = Stop::kContinue;
  FakeKernel quiet(0.0);
  EXPECT_EQ(
      sample_until_stable([&] { return quiet.sample(); }, StopRule::fixed(37), [&] { return quiet.now; }, &why).size(),
      37u);
  EXPECT_EQ(why, Stop::kFixed);
  EXPECT_STREQ(stop_name(Stop::kFixed), "fixed");
  FakeKernel slow(0.0);
  EXPECT_EQ(sample_until_stable([&] { return slow.sample() * 1e6; }, StopRule::fixed(3), [&] { return slow.now; }, &why)
                .size(),
            3u);
}

TEST(StopRule, TheMinimumHoldsEvenPastTheTimeCap) {
  StopRule rule;
  rule.max_seconds = 0;
  EXPECT_EQ(stop_decision(std::vector<double>(9, 1.0), 100, rule), Stop::kContinue);
  EXPECT_NE(stop_decision(std::vector<double>(10, 1.0), 100, rule), Stop::kContinue);
}

TEST(Batching, ShortKernelsGetEnoughLaunchesForAbout100Microseconds) {
  EXPECT_EQ(batched_launches(5e-6, 32), 20);
  EXPECT_EQ(batched_launches(1e-6, 32), 32);  // capped
  EXPECT_EQ(batched_launches(19e-6, 32), 6);
  EXPECT_EQ(batched_launches(1e-3, 32), 2);  // a long kernel (warm mode): two back to back
  EXPECT_EQ(batched_launches(5e-6, 8), 8);   // cold: one operand copy per launch, as many as fit
  EXPECT_EQ(batched_launches(5e-6, 1), 0);   // one copy: no batch
  EXPECT_EQ(batched_launches(0, 32), 0);
  EXPECT_LT(19e-6, kShortKernelSeconds);
}

TEST(ClockProbe, MedianOverSmsStampedTwice) {
  std::vector<kernels::ClockStamp> before(8), after(8);
  // SMs 0..2 at 1980 MHz over 10 ms, SM 3 at 1000 MHz (an outlier the median ignores), SM 4 stamped once only.
  for (int sm = 0; sm < 4; ++sm) {
    before[sm] = {1000u + sm, 5'000'000};
    after[sm] = {1000u + sm + (sm == 3 ? 10'000'000u : 19'800'000u), 15'000'000};
  }
  before[4] = {1, 5'000'000};
  EXPECT_NEAR(*probe_clock_mhz(before, after), 1980, 1e-9);
  // Under 1 ms: the global timer's microsecond steps would be the measurement.
  std::vector<kernels::ClockStamp> soon = before;
  for (int sm = 0; sm < 4; ++sm) soon[sm] = {before[sm].cycles + 1'000'000, before[sm].ns + 500'000};
  EXPECT_FALSE(probe_clock_mhz(before, soon).has_value());
  EXPECT_FALSE(probe_clock_mhz(std::vector<kernels::ClockStamp>(8), after).has_value());  // nothing stamped
}

// Readings at host time `seconds`; the driver stamps its violation counters at the same time, in microseconds.
Telemetry counters_at(double seconds, std::uint64_t energy_mj, std::uint64_t power_ns, std::uint64_t thermal_ns) {
  Telemetry t;
  t.host_seconds = seconds;
  t.energy_mj = energy_mj;
  t.power_capped_ns = power_ns;
  t.thermal_capped_ns = thermal_ns;
  t.power_capped_at_us = t.thermal_capped_at_us = static_cast<std::uint64_t>(seconds * 1e6);
  return t;
}

TEST(IntervalTelemetry, MeanPowerAndCappedFractionsFromCounters) {
  const auto interval = interval_telemetry(counters_at(10.0, 1'000'000, 5'000'000'000, 7),
                                           counters_at(10.5, 1'350'000, 5'200'000'000, 7));
  EXPECT_NEAR(*interval.power_w_mean, 700, 1e-9);  // 350 J in 0.5 s
  EXPECT_NEAR(*interval.power_capped_fraction, 0.4, 1e-9);
  EXPECT_NEAR(*interval.thermal_capped_fraction, 0, 1e-9);
  // The fraction is over the driver's timestamps of the counter, not the host's interval: a counter sampled 0.25 s
  // apart, 0.2 s of it capped, is 80 % capped whatever the host's interval was.
  Telemetry before = counters_at(10.0, 0, 1'000'000'000, 0), after = counters_at(10.5, 0, 1'200'000'000, 0);
  after.power_capped_at_us = *before.power_capped_at_us + 250'000;
  EXPECT_NEAR(*interval_telemetry(before, after).power_capped_fraction, 0.8, 1e-9);
  after.power_capped_at_us = before.power_capped_at_us;  // not sampled again in between: nothing to say
  EXPECT_FALSE(interval_telemetry(before, after).power_capped_fraction);
  // Too short an interval for counters the driver updates every few tens of milliseconds: nothing, not a guess.
  const auto short_one = interval_telemetry(counters_at(10.0, 1'000'000, 0, 0), counters_at(10.05, 1'035'000, 0, 0));
  EXPECT_FALSE(short_one.power_w_mean || short_one.power_capped_fraction);
  // A counter that did not advance (or is missing) gives no power.
  EXPECT_FALSE(interval_telemetry(counters_at(0, 5, 0, 0), counters_at(1, 5, 0, 0)).power_w_mean);
  Telemetry none_before, none_after;
  none_after.host_seconds = 1;
  EXPECT_FALSE(interval_telemetry(none_before, none_after).power_capped_fraction);
}

roofline::PlannedPoint point(roofline::Op op, roofline::Phase phase, std::int64_t b, std::int64_t s) {
  static const roofline::ModelConfig model = roofline::resolve_model("llama-33b");
  roofline::PlannedPoint p{op, {phase, b, s}, roofline::Dtype::kF16, {}, {}, 0};
  p.problem = roofline::make_problem(model, op, p.setting, roofline::Dtype::kF16);
  p.cost = roofline::cost_of(p.problem);
  return p;
}

TEST(Clocks, TheProbeWinsOverNvmlAndSlowClocksAreFlagged) {
  const auto p = point(roofline::Op::kQProj, roofline::Phase::kInit, 16, 1024);
  Measurement m;
  m.samples_s = {1e-3};
  Telemetry nvml;
  nvml.sm_clock_mhz = 1980;
  m.telemetry = {nvml, nvml};
  m.probe_clock_mhz = 1400;  // what the SMs ran at between the readings
  const auto model = roofline::resolve_model("llama-33b");
  const auto row = measured_row(model, p, {}, "cublas", m, MeasuredRoofs{}, nullptr, false, 1980.0);
  EXPECT_DOUBLE_EQ(*row.sm_clock_mhz, 1400);
  EXPECT_EQ(row.sm_clock_source, "probe");
  EXPECT_DOUBLE_EQ(*row.sm_clock_max_mhz, 1980);
  EXPECT_TRUE(*row.clock_low);  // 1400 < 0.75 * 1980 = 1485
  m.probe_clock_mhz = 1500;
  EXPECT_FALSE(*measured_row(model, p, {}, "cublas", m, MeasuredRoofs{}, nullptr, false, 1980.0).clock_low);
}

TEST(Batching, TheRowCarriesBothTimesAndWhySamplingStopped) {
  const auto p = point(roofline::Op::kQProj, roofline::Phase::kAr, 1, 128);
  Measurement m;
  m.samples_s = {4e-6, 4.1e-6, 3.9e-6};
  m.single_samples_s = {6e-6, 6.2e-6, 6.1e-6};
  m.launches_per_sample = 25;
  m.stop = Stop::kConverged;
  const auto model = roofline::resolve_model("llama-33b");
  const auto row = measured_row(model, p, {}, "hand", m, MeasuredRoofs{}, nullptr, false);
  EXPECT_NEAR(*row.time_us_median, 4.0, 1e-9);
  EXPECT_NEAR(*row.time_us_single, 6.1, 1e-9);
  EXPECT_EQ(*row.launches_per_sample, 25);
  EXPECT_EQ(row.samples_stop, "converged");
  EXPECT_NEAR(*row.achieved_gbps, static_cast<double>(p.cost.bytes_min) / 4e-6 / 1e9, 1e-6);
  m.single_samples_s.clear();
  m.launches_per_sample = 1;
  EXPECT_NEAR(*measured_row(model, p, {}, "hand", m, MeasuredRoofs{}, nullptr, false).time_us_single, 4.0, 1e-9);
}

TEST(Roofs, JudgingAgainCanTurnAnErrorBackIntoAResultAndBack) {
  const auto p = point(roofline::Op::kQProj, roofline::Phase::kInit, 16, 1024);  // compute-bound
  const double seconds = static_cast<double>(p.cost.flops) / 760e12;             // 760 TFLOP/s
  Measurement m;
  m.samples_s = {seconds};
  const auto model = roofline::resolve_model("llama-33b");
  const roofline::PointRow unjudged = unjudged_row(model, p, {}, "cublas", m, nullptr, std::nullopt);
  roofline::PointRow cool = unjudged, warm = unjudged;
  judge_row(cool, MeasuredRoofs{800.0, 800.0, 3000.0}, nullptr, false);
  EXPECT_EQ(cool.status, "ok");
  judge_row(warm, MeasuredRoofs{700.0, 700.0, 3000.0}, nullptr, false);  // 760 is 109 % of a 700 roof
  EXPECT_EQ(warm.status, "error");
  EXPECT_NE(warm.reason.find("above the measured compute roof"), std::string::npos);
  EXPECT_EQ(unjudged.status, "ok");  // judging works on a copy: the unjudged row can be judged again
  EXPECT_FALSE(unjudged.roof_fraction.has_value());
}

}  // namespace
}  // namespace bench

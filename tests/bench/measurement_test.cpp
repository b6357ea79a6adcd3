// The reporter's logic on the CPU: statistics, rows from measurements, physical sanity, skip decisions, and the
// parsing of driver metadata.
#include <gtest/gtest.h>

#include "bench/gpu/cuda_check.hpp"
#include "bench/gpu/nvml.hpp"
#include "bench/rows/point_rows.hpp"
#include "bench/sweep/sweep_tasks.hpp"
#include "bench/timing/stats.hpp"
#include "roofline/csv.hpp"

namespace bench {
namespace {

using roofline::Dtype;
using roofline::MeasuredRoofs;
using roofline::Op;
using roofline::Phase;

roofline::PlannedPoint point(Op op, Phase phase, std::int64_t b, std::int64_t s) {
  static const roofline::ModelConfig model = roofline::resolve_model("llama-33b");
  roofline::PlannedPoint p{op, {phase, b, s}, Dtype::kF16, {}, {}, 0};
  p.problem = roofline::make_problem(model, op, p.setting, Dtype::kF16);
  p.cost = roofline::cost_of(p.problem);
  return p;
}

// A measurement whose median time makes the point reach `tflops`.
Measurement timed_at(const roofline::PlannedPoint& p, double tflops) {
  Measurement m;
  const double seconds = static_cast<double>(p.cost.flops) / (tflops * 1e12);
  m.samples_s = {seconds * 1.01, seconds, seconds * 0.99};
  return m;
}

Telemetry reading(std::optional<double> sm, std::optional<double> mem, std::optional<double> temperature,
                  std::optional<double> power, std::optional<std::uint64_t> reasons) {
  Telemetry t;
  t.sm_clock_mhz = sm;
  t.mem_clock_mhz = mem;
  t.temperature_c = temperature;
  t.power_w = power;
  t.throttle_reasons = reasons;
  return t;
}

const roofline::ModelConfig& model() {
  static const roofline::ModelConfig m = roofline::resolve_model("llama-33b");
  return m;
}

TEST(Stats, MedianMinCv) {
  const SampleStats s = summarize({3, 1, 2, 4});
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_NEAR(s.cv, 1.2909944487 / 2.5, 1e-9);
  EXPECT_DOUBLE_EQ(summarize({5}).cv, 0);
  EXPECT_THROW(summarize({}), std::invalid_argument);
}

TEST(MeasuredRow, ComputesRatesAgainstTheMeasuredRoof) {
  const auto p = point(Op::kQProj, Phase::kInit, 16, 1024);  // compute-bound
  MeasuredRoofs roofs{700.0, 700.0, 3000.0};
  const auto row =
      measured_row(model(), p, {}, "cublas", timed_at(p, 560), roofs, roofline::find_machine_spec("h100-sxm"), false);
  EXPECT_EQ(row.status, "ok");
  EXPECT_NEAR(*row.achieved_tflops, 560, 1e-9);
  EXPECT_NEAR(*row.roof_fraction, 0.8, 1e-9);
  EXPECT_EQ(row.roof_source, "measured");
  EXPECT_EQ(row.bound, "compute");
  EXPECT_EQ(*row.repetitions, 3);
  EXPECT_DOUBLE_EQ(*row.peak_tflops_datasheet, 989.4);
  EXPECT_NEAR(*row.achieved_gbps, static_cast<double>(p.cost.bytes_min) / (*row.time_us_median * 1e-6) / 1e9, 1e-6);
}

TEST(MeasuredRow, AMedusaRowCarriesItsCandidates) {
  roofline::PlannedPoint p{Op::kQk, {Phase::kMedusa, 4, 2048, 48}, Dtype::kF16, {}, {}, 0};
  p.problem = roofline::make_problem(model(), p.op, p.setting, Dtype::kF16);
  p.cost = roofline::cost_of(p.problem);
  MeasuredRoofs roofs{700.0, 700.0, 3000.0};
  const auto row = measured_row(model(), p, {}, "hand", timed_at(p, 50), roofs, nullptr, false);
  EXPECT_EQ(row.phase, "medusa");
  EXPECT_EQ(*row.candidates, 48);
  EXPECT_EQ(*row.m, 48);
  EXPECT_EQ(row.bound, "memory");
  const auto ar = point(Op::kQk, Phase::kAr, 4, 2048);
  EXPECT_EQ(*measured_row(model(), ar, {}, "hand", timed_at(ar, 1), roofs, nullptr, false).candidates, 1);
  const auto init = point(Op::kQk, Phase::kInit, 4, 2048);
  EXPECT_FALSE(measured_row(model(), init, {}, "hand", timed_at(init, 1), roofs, nullptr, false).candidates);
}

TEST(MeasuredRow, AboveTheMeasuredRoofIsAnErrorNotAResult) {
  const auto p = point(Op::kGateProj, Phase::kAr, 1, 128);  // memory-bound, intensity ~1
  MeasuredRoofs roofs{700.0, 700.0, 3000.0};
  const double at_roof = p.cost.intensity() * 3000 / 1000;  // TFLOP/s on the bandwidth diagonal
  const auto over = measured_row(model(), p, {}, "hand", timed_at(p, at_roof * 1.2), roofs, nullptr, false);
  EXPECT_EQ(over.status, "error");
  EXPECT_NE(over.reason.find("above the measured bandwidth roof"), std::string::npos) << over.reason;
  const auto within_noise = measured_row(model(), p, {}, "hand", timed_at(p, at_roof * 1.03), roofs, nullptr, false);
  EXPECT_EQ(within_noise.status, "ok");
  // With a warm L2 a memory-bound point can beat DRAM: not an error, the CSV's l2_mode says why.
  const auto warm = measured_row(model(), p, {}, "hand", timed_at(p, at_roof * 1.2), roofs, nullptr, true);
  EXPECT_EQ(warm.status, "ok");
}

TEST(MeasuredRow, FallsBackToTheDatasheetAndLeavesMissingThingsEmpty) {
  const auto p = point(Op::kQk, Phase::kAr, 4, 4096);
  const auto row = measured_row(model(), p, {}, "cublas", timed_at(p, 1), MeasuredRoofs{},
                                roofline::find_machine_spec("a40"), false);
  EXPECT_EQ(row.roof_source, "datasheet");
  EXPECT_FALSE(row.peak_gbps_measured.has_value());
  EXPECT_FALSE(row.dram_bytes_measured.has_value());
  EXPECT_FALSE(row.sm_clock_mhz.has_value());
  const auto none = measured_row(model(), p, {}, "cublas", timed_at(p, 1), MeasuredRoofs{}, nullptr, false);
  EXPECT_FALSE(none.roof_fraction.has_value());
  EXPECT_TRUE(none.roof_source.empty());
}

TEST(MeasuredRow, SkippedRowsKeepShapeCostAndReasonOnly) {
  const auto p = point(Op::kQk, Phase::kInit, 64, 8192);
  Measurement m;
  m.status = "skipped";
  m.reason = "does not fit";
  const auto row = measured_row(model(), p, {}, "cublas", m, MeasuredRoofs{}, nullptr, false);
  EXPECT_EQ(row.status, "skipped");
  EXPECT_EQ(row.reason, "does not fit");
  EXPECT_TRUE(row.flops.has_value());
  EXPECT_TRUE(row.buffer_bytes.has_value());
  EXPECT_FALSE(row.time_us_median.has_value());
  EXPECT_FALSE(row.achieved_tflops.has_value());
}

TEST(MeasuredRow, CountersGiveMeasuredBytesAndIntensity) {
  const auto p = point(Op::kDownProj, Phase::kAr, 4, 128);
  Measurement m = timed_at(p, 1);
  const double minimum = static_cast<double>(p.cost.bytes_min);
  m.counters = CounterValues{minimum * 0.98, 4096, minimum * 1.5, 12345};
  const auto row = measured_row(model(), p, {}, "hand", m, MeasuredRoofs{}, nullptr, false);
  EXPECT_DOUBLE_EQ(*row.dram_bytes_measured, minimum * 0.98 + 4096);
  EXPECT_DOUBLE_EQ(*row.l2_bytes_measured, minimum * 1.5);
  EXPECT_DOUBLE_EQ(*row.intensity_measured, static_cast<double>(p.cost.flops) / (minimum * 0.98 + 4096));
  EXPECT_DOUBLE_EQ(*row.time_us_counted, 12.345);
  EXPECT_FALSE(measured_row(model(), p, {}, "hand", timed_at(p, 1), MeasuredRoofs{}, nullptr, false)
                   .dram_bytes_measured.has_value());  // without --counters: empty, not zero
}

TEST(MeasuredRow, TelemetryGivesClockAndThrottling) {
  const auto p = point(Op::kQProj, Phase::kAr, 1, 128);
  Measurement m = timed_at(p, 1);
  m.telemetry = {reading(1980.0, 2619.0, 50.0, 400.0, 0x1), reading(1960.0, 2619.0, 52.0, 500.0, 0x4)};
  const auto row = measured_row(model(), p, {}, "cublas", m, MeasuredRoofs{}, nullptr, false);
  EXPECT_DOUBLE_EQ(*row.sm_clock_mhz, 1970);
  EXPECT_DOUBLE_EQ(*row.mem_clock_mhz, 2619);
  EXPECT_DOUBLE_EQ(*row.temperature_c, 52);
  EXPECT_DOUBLE_EQ(*row.power_w, 500);
  EXPECT_EQ(row.throttle_reasons, "gpu_idle|sw_power_cap");
  EXPECT_TRUE(*row.throttled);  // sw_power_cap in the second reading
  EXPECT_EQ(row.sm_clock_source, "nvml");
  EXPECT_FALSE(row.clock_low.has_value());  // no maximum clock known: no judgement
  m.telemetry = {reading(1980.0, {}, {}, {}, 0x1)};
  EXPECT_FALSE(*measured_row(model(), p, {}, "cublas", m, MeasuredRoofs{}, nullptr, false).throttled);
}

TEST(CeilingRow, TensorPeakAtTheClockItRan) {
  Measurement m;
  m.samples_s = {1e-3};
  m.telemetry = {reading(1755.0, {}, {}, {}, 0x0)};
  const auto* h100 = roofline::find_machine_spec("h100-sxm");
  const auto row = ceiling_row({}, "mma_sync_fp16", "hand", Dtype::kF16, 600e9, 0, m, h100);
  EXPECT_EQ(row.series, "ceiling");
  EXPECT_NEAR(*row.achieved_tflops, 600, 1e-9);
  EXPECT_NEAR(*row.roof_fraction, 600 / 989.4, 1e-9);
  EXPECT_NE(row.reason.find("1755 MHz"), std::string::npos) << row.reason;  // 132 * 4096 * 1.755 GHz = 949 TFLOP/s
  EXPECT_NE(row.reason.find("949 TFLOP/s"), std::string::npos) << row.reason;
  const auto bw = ceiling_row({}, "dram_read", "hand", Dtype::kF16, 0, 3e9, m, h100);
  EXPECT_NEAR(*bw.achieved_gbps, 3000, 1e-9);
  EXPECT_NEAR(*bw.roof_fraction, 3000.0 / 3350, 1e-9);
  EXPECT_FALSE(bw.achieved_tflops.has_value());
}

TEST(Memory, FitsLeavesHeadroom) {
  const std::int64_t gib = std::int64_t{1} << 30;
  EXPECT_TRUE(fits_in_memory(10 * gib, 1 * gib, 80 * gib));
  EXPECT_FALSE(fits_in_memory(447LL * gib, 0, 80 * gib));
  EXPECT_FALSE(fits_in_memory(80 * gib, 0, 80 * gib));  // no room for the workspace
}

TEST(Nvml, ParsesProcDriverVersionAndThrottleReasons) {
  EXPECT_EQ(parse_proc_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu Oct  2 2025\n"
                                      "GCC version:  gcc version 12.2.0"),
            "580.159.04");
  EXPECT_EQ(parse_proc_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release"),
            "550.54.15");
  EXPECT_EQ(parse_proc_driver_version("garbage"), "");
  EXPECT_FALSE(is_throttled(0x0));
  EXPECT_FALSE(is_throttled(0x1));  // idle
  EXPECT_TRUE(is_throttled(0x4));   // power cap
  EXPECT_TRUE(is_throttled(0x40));  // hardware thermal
  EXPECT_EQ(throttle_reason_names(0x44), (std::vector<std::string>{"sw_power_cap", "hw_thermal_slowdown"}));
  EXPECT_EQ(throttle_reason_names(0x10000), (std::vector<std::string>{"other"}));
}

TEST(Measurement, AnyExceptionOfABenchmarkBecomesARowNotAnEscape) {
  bool sticky = true;
  const Measurement oom = failed_measurement(CudaError("cudaMalloc failed: cudaErrorMemoryAllocation", false), &sticky);
  EXPECT_EQ(oom.status, "skipped");
  EXPECT_NE(oom.reason.find("out of device memory"), std::string::npos);
  EXPECT_FALSE(sticky);
  const Measurement fault = failed_measurement(CudaError("kernel: cudaErrorIllegalAddress", true), &sticky);
  EXPECT_EQ(fault.status, "error");
  EXPECT_TRUE(sticky);
  const Measurement host = failed_measurement(std::bad_alloc(), &sticky);
  EXPECT_EQ(host.status, "error");
  EXPECT_NE(host.reason.find("host memory"), std::string::npos);
  EXPECT_FALSE(sticky);
  const Measurement other = failed_measurement(roofline::CsvError("cannot append to x.csv"), &sticky);
  EXPECT_EQ(other.status, "error");
  EXPECT_NE(other.reason.find("cannot append to x.csv"), std::string::npos);
  EXPECT_TRUE(other.samples_s.empty());
}

}  // namespace
}  // namespace bench

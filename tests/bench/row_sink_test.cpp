// The sink of a sweep's rows, on the CPU with made-up measurements: what each task writes to roofline.csv and
// samples.csv, the counts, the roofs of each ceiling pass, and the rejudging against the roofs interpolated in time.
#include "bench/rows/row_sink.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "roofline/csv.hpp"
#include "roofline/model_config.hpp"
#include "roofline/sweep.hpp"

namespace bench {
namespace {

namespace fs = std::filesystem;

const roofline::ModelConfig& model() {
  static const roofline::ModelConfig m = roofline::resolve_model("llama-33b");
  return m;
}

// The plan of one decode point: o_proj, ar, b=1, s=512 (memory bound), fp16.
roofline::Plan decode_plan() {
  roofline::SweepSpec sweep;
  sweep.phases = {roofline::Phase::kAr};
  sweep.batches = {1};
  sweep.seq_lens = {512};
  sweep.ops = {roofline::Op::kOProj};
  sweep.dtypes = {roofline::Dtype::kF16};
  return roofline::make_plan(model(), sweep);
}

SweepTask dram_ceiling(const std::string& pass) {
  SweepTask t;
  t.kind = SweepTask::Kind::kCeiling;
  t.name = "ceiling/dram_read" + std::string(pass == "end" ? "/end" : "");
  t.pass = pass;
  t.ceiling.name = "dram_read";
  t.ceiling.impl = t.impl = "hand";
  t.ceiling.bytes = 1e9;
  return t;
}

SweepTask tensor_ceiling(const std::string& pass) {
  SweepTask t = dram_ceiling(pass);
  t.name = "ceiling/mma_sync_fp16" + std::string(pass == "end" ? "/end" : "");
  t.ceiling.name = "mma_sync_fp16";
  t.ceiling.bytes = 0;
  t.ceiling.flops = 1e12;
  return t;
}

SweepTask point_task(const roofline::Plan& plan, const std::string& impl) {
  SweepTask t;
  t.name = "o_proj/ar/b1/s512/" + impl;
  t.impl = impl;
  t.measurement = 0;
  for (std::size_t i = 0; i < plan.points.size(); ++i) t.points.push_back(i);
  return t;
}

// Samples whose median is `seconds`, the last of them ending at `at` (seconds from the sweep's start, which is 0).
Measurement timed(double seconds, double at) {
  Measurement m;
  m.samples_s = {seconds * 1.01, seconds, seconds * 0.99};
  m.timed_until = at;
  return m;
}

class RowSinkTest : public testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::path(testing::TempDir()) / ("row_sink_" + std::to_string(getpid()) + "_" +
                                              testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(folder_);
    fs::create_directories(folder_);
    run_.run_id = "test-run";
    run_.l2_mode = "cold";
    run_.device_kind = "gpu";
  }
  void TearDown() override { fs::remove_all(folder_); }

  RowContext context() const { return RowContext{&model(), &plan_, run_, nullptr, false, std::nullopt}; }
  roofline::CsvTable rows() const { return roofline::read_csv((folder_ / "roofline.csv").string()); }
  roofline::CsvTable samples() const { return roofline::read_csv((folder_ / "samples.csv").string()); }
  // The time at which a point moves `bytes_per_s` of its minimum bytes.
  double seconds_at(double bytes_per_s) const {
    return static_cast<double>(plan_.points[0].cost.bytes_min) / bytes_per_s;
  }

  fs::path folder_;
  roofline::Plan plan_ = decode_plan();
  roofline::RunInfo run_;
};

TEST_F(RowSinkTest, EachTaskWritesItsRowsAndSamplesAndIsCounted) {
  ASSERT_EQ(plan_.points.size(), 1u);
  RowSink sink(folder_.string(), context(), 4, 0);
  sink.finished(dram_ceiling("start"), timed(1e-3, 1));    // 1000 GB/s
  sink.finished(tensor_ceiling("start"), timed(1e-2, 2));  // 100 TFLOP/s
  sink.finished(point_task(plan_, "cublas"), timed(seconds_at(500e9), 3));

  SweepTask skipped = point_task(plan_, "hand");
  skipped.kind = SweepTask::Kind::kSkipped;
  skipped.skipped_because = "no hand-written variant supports this problem on sm_70";
  sink.skipped(skipped);

  Measurement not_run;
  not_run.status = kStatusNotRun;
  sink.finished(point_task(plan_, "gemm_mma_64x64"), not_run);  // interrupted: no row

  const roofline::CsvTable r = rows();
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.at(0, "series"), roofline::kCeilingSeries);
  EXPECT_EQ(r.at(0, "op"), "dram_read");
  EXPECT_EQ(r.at(0, "ceiling_pass"), "start");
  EXPECT_EQ(r.at(1, "op"), "mma_sync_fp16");
  EXPECT_EQ(r.at(2, "impl"), "cublas");
  EXPECT_EQ(r.at(2, "status"), "ok");
  EXPECT_EQ(r.at(2, "roof_source"), "measured");
  EXPECT_NEAR(std::stod(r.at(2, "peak_gbps_measured")), 1000, 1e-6);
  EXPECT_NEAR(std::stod(r.at(2, "roof_fraction")), 0.5, 1e-6);  // half the measured bandwidth roof
  EXPECT_NEAR(std::stod(r.at(2, "measured_at_s")), 3, 1e-9);
  EXPECT_EQ(r.at(3, "impl"), "hand");
  EXPECT_EQ(r.at(3, "status"), "skipped");
  EXPECT_EQ(r.at(3, "reason"), skipped.skipped_because);
  EXPECT_EQ(r.at(3, "time_us_median"), "");
  EXPECT_EQ(r.at(3, "peak_gbps_measured"), "");  // not measured: no roofs either

  // Three samples for each timed row, none for the skipped one.
  const roofline::CsvTable s = samples();
  ASSERT_EQ(s.rows.size(), 9u);
  EXPECT_EQ(s.at(6, "impl"), "cublas");
  EXPECT_EQ(s.at(6, "repetition"), "0");
  EXPECT_NEAR(std::stod(s.at(7, "time_us")), seconds_at(500e9) * 1e6, 1e-6);

  const SweepCounts& c = sink.counts();
  EXPECT_EQ(c.ok, 3);
  EXPECT_EQ(c.skipped, 1);
  EXPECT_EQ(c.invalid + c.error, 0);
  EXPECT_NEAR(c.roofs_start.gbps.value_or(0), 1000, 1e-6);
  EXPECT_NEAR(*c.roofs_start.fp16_tflops, 100, 1e-9);
  EXPECT_FALSE(c.roofs_start.bf16_tflops);
  EXPECT_DOUBLE_EQ(c.roofs_start_at, 1.5);  // the mean time of the pass's rows
  EXPECT_FALSE(c.roofs_end.gbps);
}

TEST_F(RowSinkTest, RejudgingHoldsEachPointToTheRoofsOfItsTime) {
  RowSink sink(folder_.string(), context(), 5, 0);
  sink.finished(dram_ceiling("start"), timed(1e-3, 1));  // 1000 GB/s at t=1
  sink.finished(tensor_ceiling("start"), timed(1e-2, 1));
  // At t=2 the point moves 1400 GB/s: above the start roof (an error while the sweep runs), but the bandwidth the GPU
  // reached by the end pass is 1800 GB/s, so the roof at its time is 1400.
  sink.finished(point_task(plan_, "cublas"), timed(seconds_at(1400e9), 2));
  EXPECT_EQ(rows().at(2, "status"), "error");
  EXPECT_NE(rows().at(2, "reason").find("above the measured bandwidth roof"), std::string::npos);
  EXPECT_EQ(sink.counts().error, 1);
  sink.finished(dram_ceiling("end"), timed(1e-3 / 1.8, 3));
  sink.finished(tensor_ceiling("end"), timed(1e-2, 3));

  sink.rejudge(folder_.string());
  const SweepCounts& c = sink.counts();
  EXPECT_TRUE(c.rejudged);
  EXPECT_EQ(c.error, 0);
  EXPECT_EQ(c.ok, 5);
  const roofline::CsvTable r = rows();
  ASSERT_EQ(r.rows.size(), 5u);
  EXPECT_EQ(r.at(2, "status"), "ok");
  EXPECT_EQ(r.at(2, "reason"), "");
  EXPECT_NEAR(std::stod(r.at(2, "peak_gbps_measured")), 1400, 1e-6);
  EXPECT_NEAR(std::stod(r.at(2, "roof_fraction")), 1.0, 1e-6);
  EXPECT_EQ(r.at(3, "ceiling_pass"), "end");
  EXPECT_FALSE(fs::exists(folder_ / ".roofline.csv.rejudged"));
}

TEST_F(RowSinkTest, WithoutAnEndPassTheRowsStayJudgedAgainstTheStart) {
  RowSink sink(folder_.string(), context(), 3, 0);
  sink.finished(dram_ceiling("start"), timed(1e-3, 1));
  sink.finished(tensor_ceiling("start"), timed(1e-2, 1));
  sink.finished(point_task(plan_, "cublas"), timed(seconds_at(1400e9), 2));
  sink.rejudge(folder_.string());  // an interrupted sweep: nothing to interpolate towards
  EXPECT_FALSE(sink.counts().rejudged);
  EXPECT_EQ(sink.counts().error, 1);
  EXPECT_EQ(rows().at(2, "status"), "error");
}

TEST_F(RowSinkTest, AFailedCeilingRaisesNoRoof) {
  RowSink sink(folder_.string(), context(), 2, 0);
  Measurement failed;
  failed.status = roofline::kStatusError;
  failed.reason = "dram_read: cudaErrorLaunchFailure";
  sink.finished(dram_ceiling("start"), failed);
  sink.finished(point_task(plan_, "cublas"), timed(seconds_at(1400e9), 2));
  EXPECT_FALSE(sink.counts().roofs_start.gbps);
  EXPECT_EQ(sink.counts().error, 1);
  EXPECT_EQ(sink.counts().ok, 1);  // no measured roof and no datasheet: the point is not judged, not wrong
  EXPECT_EQ(rows().at(1, "roof_source"), "");
}

TEST_F(RowSinkTest, TheProgressLineCountsTheTasksAndSaysWhatEachFound) {
  std::ostringstream log;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  RowSink sink(folder_.string(), context(), 2, 0);
  sink.finished(dram_ceiling("start"), timed(1e-3, 1));
  Measurement invalid;
  invalid.status = roofline::kStatusInvalid;
  invalid.reason = "relative error 0.5 above the fp16 tolerance 0.01";
  sink.finished(point_task(plan_, "gemm_mma_64x64"), invalid);
  spdlog::set_default_logger(previous);
  const std::string text = log.str();
  EXPECT_NE(text.find("[1/2] ceiling/dram_read: 1000.0 us, 0 TFLOP/s, 1000 GB/s |"), std::string::npos) << text;
  EXPECT_NE(text.find("[2/2] o_proj/ar/b1/s512/gemm_mma_64x64: invalid: relative error 0.5"), std::string::npos)
      << text;
  EXPECT_NE(text.find("elapsed, ~0s left"), std::string::npos) << text;
  EXPECT_EQ(sink.counts().invalid, 1);
}

}  // namespace
}  // namespace bench

// Judging rows against roofs: the roofs between the two ceiling passes, and a predicted row judged like a measured one.
#include "roofline/judge.hpp"

#include <gtest/gtest.h>

namespace roofline {
namespace {

TEST(Roofs, InterpolatedInTimeBetweenTheTwoPasses) {
  const MeasuredRoofs start{800.0, 790.0, 3000.0}, end{700.0, {}, 2900.0};
  const auto mid = interpolate_roofs(start, 10, end, 110, 60);
  EXPECT_NEAR(*mid.fp16_tflops, 750, 1e-9);
  EXPECT_NEAR(*mid.gbps, 2950, 1e-9);
  EXPECT_NEAR(*mid.bf16_tflops, 790, 1e-9);  // measured in one pass only: as it is
  EXPECT_NEAR(*interpolate_roofs(start, 10, end, 110, 0).fp16_tflops, 800, 1e-9);    // clamped before the start
  EXPECT_NEAR(*interpolate_roofs(start, 10, end, 110, 500).fp16_tflops, 700, 1e-9);  // and after the end
  EXPECT_NEAR(*interpolate_roofs(start, 10, MeasuredRoofs{}, 0, 60).gbps, 3000, 1e-9);
}

TEST(Judge, AMeasuredRowAboveTheMeasuredRoofIsAnErrorAndAPredictedOneSitsOnTheRoof) {
  PointRow row;
  row.dtype = "fp16";
  row.status = kStatusOk;
  row.intensity = 1000.0;  // compute-bound
  row.achieved_tflops = 760.0;
  judge_row(row, MeasuredRoofs{700.0, 700.0, 3000.0}, nullptr, false);
  EXPECT_EQ(row.status, kStatusError);
  EXPECT_EQ(row.roof_source, "measured");
  EXPECT_NEAR(*row.roof_fraction, 760.0 / 700.0, 1e-12);

  const MachineSpec& a40 = *find_machine_spec("a40");
  PointRow predicted;
  predicted.dtype = "fp16";
  predicted.status = kStatusPredicted;
  predicted.intensity = 10.0;  // memory-bound on an A40
  predicted.achieved_tflops = 10.0 * a40.dram_gbps / 1000.0;
  judge_row(predicted, MeasuredRoofs{}, &a40, false);
  EXPECT_EQ(predicted.status, kStatusPredicted);
  EXPECT_EQ(predicted.roof_source, "datasheet");
  EXPECT_EQ(predicted.bound, "memory");
  EXPECT_NEAR(*predicted.roof_fraction, 1.0, 1e-12);
}

}  // namespace
}  // namespace roofline

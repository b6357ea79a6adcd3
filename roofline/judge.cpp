#include "roofline/judge.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "roofline/roofline_math.hpp"

namespace roofline {
namespace {

std::string percent(double fraction) { return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%"; }

}  // namespace

MeasuredRoofs interpolate_roofs(const MeasuredRoofs& start, double t0, const MeasuredRoofs& end, double t1, double t) {
  const double w = t1 > t0 ? std::clamp((t - t0) / (t1 - t0), 0.0, 1.0) : 0.0;
  const auto mix = [w](const std::optional<double>& a, const std::optional<double>& b) -> std::optional<double> {
    if (a && b) return (1 - w) * *a + w * *b;
    return a ? a : b;
  };
  return {mix(start.fp16_tflops, end.fp16_tflops), mix(start.bf16_tflops, end.bf16_tflops), mix(start.gbps, end.gbps)};
}

void judge_row(PointRow& row, const MeasuredRoofs& roofs, const MachineSpec* spec, bool warm_l2) {
  Dtype dtype = Dtype::kF16;
  parse_dtype(row.dtype, &dtype);
  row.peak_tflops_measured = roofs.tflops(dtype);
  row.peak_gbps_measured = roofs.gbps;
  if (!row.achieved_tflops || !row.intensity) return;  // not timed: nothing to judge

  // Judge against the measured roof when this run has one, else the datasheet's.
  Roof roof;
  row.roof_source.clear();
  if (row.peak_tflops_measured && row.peak_gbps_measured) {
    roof = {*row.peak_tflops_measured * 1e12, *row.peak_gbps_measured * 1e9};
    row.roof_source = "measured";
  } else if (spec) {
    roof = spec->roof(dtype);
    row.roof_source = "datasheet";
  }
  if (!roof.valid()) return;
  const double intensity = *row.intensity;
  row.attainable_tflops = attainable(roof, intensity) / 1e12;
  row.roof_fraction = *row.achieved_tflops / *row.attainable_tflops;
  row.bound = bound_name(bound_at(roof, intensity));
  // Physical sanity: above a measured roof means the measurement is wrong (a warm cache, a skipped kernel).
  const bool judged_by_dram = row.bound == std::string("memory");
  if (row.roof_source == "measured" && row.status == kStatusOk && *row.roof_fraction > kAboveRoofTolerance &&
      !(warm_l2 && judged_by_dram)) {
    row.status = kStatusError;
    row.reason = "above the measured " + std::string(judged_by_dram ? "bandwidth" : "compute") + " roof (" +
                 percent(*row.roof_fraction) +
                 " of it): the measurement cannot be right; check the L2 mode and that the kernel did its work";
  }
}

}  // namespace roofline

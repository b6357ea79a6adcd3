#include "bench/rows/point_rows.hpp"

#include <algorithm>
#include <cmath>

#include "bench/timing/stats.hpp"

namespace bench {
namespace {

std::string percent(double fraction) { return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%"; }

}  // namespace

void apply_telemetry(const Measurement& m, std::optional<double> max_sm_clock_mhz, roofline::PointRow& row) {
  double sm_sum = 0, mem_sum = 0;
  int sm_readings = 0, mem_readings = 0;
  std::uint64_t reasons = 0;
  for (const auto& t : m.telemetry) {
    if (t.sm_clock_mhz) {
      sm_sum += *t.sm_clock_mhz;
      ++sm_readings;
    }
    if (t.mem_clock_mhz) {
      mem_sum += *t.mem_clock_mhz;
      ++mem_readings;
    }
    if (t.temperature_c) row.temperature_c = std::max(row.temperature_c.value_or(*t.temperature_c), *t.temperature_c);
    if (t.power_w) row.power_w = std::max(row.power_w.value_or(*t.power_w), *t.power_w);
    if (t.throttle_reasons) {
      reasons |= *t.throttle_reasons;
      row.throttled = row.throttled.value_or(false) || is_throttled(*t.throttle_reasons);
    }
  }
  if (m.probe_clock_mhz) {
    row.sm_clock_mhz = m.probe_clock_mhz;
    row.sm_clock_source = "probe";
  } else if (sm_readings > 0) {
    row.sm_clock_mhz = sm_sum / sm_readings;
    row.sm_clock_source = "nvml";
  }
  if (mem_readings > 0) row.mem_clock_mhz = mem_sum / mem_readings;
  for (const auto& name : throttle_reason_names(reasons)) {
    row.throttle_reasons += (row.throttle_reasons.empty() ? "" : "|") + name;
  }
  if (m.telemetry.size() >= 2) {
    const IntervalTelemetry interval = interval_telemetry(m.telemetry.front(), m.telemetry.back());
    row.power_w_mean = interval.power_w_mean;
    row.power_capped_fraction = interval.power_capped_fraction;
    row.thermal_capped_fraction = interval.thermal_capped_fraction;
  }
  if (max_sm_clock_mhz && *max_sm_clock_mhz > 0) {
    row.sm_clock_max_mhz = max_sm_clock_mhz;
    if (row.sm_clock_mhz) row.clock_low = *row.sm_clock_mhz < roofline::kClockLowFraction * *max_sm_clock_mhz;
  }
}

namespace {

// What every timed row carries: the median and spread of the samples, the single-launch median beside a batched one,
// and why sampling stopped.
void apply_samples(const Measurement& m, roofline::PointRow& row) {
  const SampleStats s = summarize(m.samples_s);
  row.time_us_median = s.median * 1e6;
  row.time_us_min = s.min * 1e6;
  row.time_cv = s.cv;
  row.repetitions = s.count;
  row.launches_per_sample = m.launches_per_sample;
  row.median_ci_rel = median_ci_rel(m.samples_s);
  row.samples_stop = stop_name(m.stop);
  row.time_us_single = m.single_samples_s.empty() ? row.time_us_median
                                                  : std::optional<double>(summarize(m.single_samples_s).median * 1e6);
}

}  // namespace

roofline::PointRow unjudged_row(const roofline::ModelConfig& model, const roofline::PlannedPoint& point,
                                const roofline::RunInfo& run, const std::string& impl, const Measurement& m,
                                const roofline::MachineSpec* spec, std::optional<double> max_sm_clock_mhz) {
  roofline::PointRow row = roofline::shape_row(model, point);
  row.run = run;
  row.impl = impl;
  row.status = m.status;
  row.reason = m.reason;
  row.rel_error = m.rel_error;
  if (spec) {
    row.peak_tflops_datasheet = spec->peak_tflops(point.dtype);
    row.peak_gbps_datasheet = spec->dram_gbps;
  }
  apply_telemetry(m, max_sm_clock_mhz, row);
  if (m.counters) {
    row.dram_bytes_measured = m.counters->dram_bytes();
    row.l2_bytes_measured = m.counters->l2_bytes;
    row.time_us_counted = m.counters->duration_ns / 1e3;
    if (m.counters->dram_bytes() > 0) {
      row.intensity_measured = static_cast<double>(point.cost.flops) / m.counters->dram_bytes();
    }
  }
  if (m.samples_s.empty()) return row;  // skipped or failed before timing: no times, no results
  apply_samples(m, row);
  const double seconds = *row.time_us_median / 1e6;
  row.achieved_tflops = static_cast<double>(point.cost.flops) / seconds / 1e12;
  row.achieved_gbps = static_cast<double>(point.cost.bytes_min) / seconds / 1e9;
  return row;
}

roofline::PointRow measured_row(const roofline::ModelConfig& model, const roofline::PlannedPoint& point,
                                const roofline::RunInfo& run, const std::string& impl, const Measurement& m,
                                const roofline::MeasuredRoofs& roofs, const roofline::MachineSpec* spec, bool warm_l2,
                                std::optional<double> max_sm_clock_mhz) {
  roofline::PointRow row = unjudged_row(model, point, run, impl, m, spec, max_sm_clock_mhz);
  roofline::judge_row(row, roofs, spec, warm_l2);
  return row;
}

roofline::PointRow ceiling_row(const roofline::RunInfo& run, const std::string& name, const std::string& impl,
                               roofline::Dtype dtype, double flops, double bytes, const Measurement& m,
                               const roofline::MachineSpec* spec, std::optional<double> max_sm_clock_mhz) {
  roofline::PointRow row;
  row.run = run;
  row.series = roofline::kCeilingSeries;
  row.op = name;
  row.impl = impl;
  row.dtype = roofline::dtype_name(dtype);
  row.status = m.status;
  row.reason = m.reason;
  if (spec) {
    row.peak_tflops_datasheet = spec->peak_tflops(dtype);
    row.peak_gbps_datasheet = spec->dram_gbps;
  }
  if (flops > 0) row.flops = static_cast<std::int64_t>(flops);
  if (bytes > 0) row.bytes_min = static_cast<std::int64_t>(bytes);
  apply_telemetry(m, max_sm_clock_mhz, row);
  if (m.samples_s.empty()) return row;
  apply_samples(m, row);
  const double seconds = *row.time_us_median / 1e6;
  if (flops > 0) row.achieved_tflops = flops / seconds / 1e12;
  if (bytes > 0) row.achieved_gbps = bytes / seconds / 1e9;
  if (flops > 0 && bytes > 0) row.intensity = flops / bytes;
  // The fraction of the datasheet roof this ceiling reached, and, for the tensor peak, of the datasheet rate at the
  // clock the GPU actually ran (the datasheet assumes its boost clock).
  if (spec && flops > 0 && bytes == 0) {
    row.roof_fraction = *row.achieved_tflops / spec->peak_tflops(dtype);
    row.roof_source = "datasheet";
    if (row.sm_clock_mhz && spec->tensor_flop_per_clk_per_sm > 0) {
      const double at_clock = spec->sm_count * spec->tensor_flop_per_clk_per_sm * *row.sm_clock_mhz * 1e6 / 1e12;
      if (row.reason.empty()) {
        row.reason = "datasheet rate at the measured " + std::to_string(std::lround(*row.sm_clock_mhz)) +
                     " MHz: " + std::to_string(std::lround(at_clock)) + " TFLOP/s; reached " +
                     percent(*row.achieved_tflops / at_clock);
      }
    }
  } else if (spec && bytes > 0 && flops == 0) {
    row.roof_fraction = *row.achieved_gbps / spec->dram_gbps;
    row.roof_source = "datasheet";
  }
  return row;
}

}  // namespace bench

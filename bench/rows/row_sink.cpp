#include "bench/rows/row_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "bench/rows/point_rows.hpp"
#include "bench/timing/stats.hpp"

namespace bench {
namespace {

std::vector<std::string> sample_header() {
  // candidates since schema version 2; ceiling_pass (start or end, for ceilings) and launches_per_sample (the kernels
  // behind one sample, whose time is per kernel) since version 3.
  return {"run_id",     "model",   "series",     "op",           "phase",
          "impl",       "dtype",   "batch",      "seq_len",      "l2_mode",
          "repetition", "time_us", "candidates", "ceiling_pass", "launches_per_sample"};
}

std::string duration_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  return s >= 60 ? std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") + std::to_string(s % 60) + "s"
                 : std::to_string(s) + "s";
}

}  // namespace

RowSink::RowSink(const std::string& folder, RowContext context, int timed_tasks, double started)
    : context_(std::move(context)),
      rows_(folder + "/roofline.csv", roofline::csv_header()),
      samples_(folder + "/samples.csv", sample_header()),
      timed_tasks_(timed_tasks),
      started_(started) {}

void RowSink::count(const roofline::PointRow& row) {
  if (row.status == roofline::kStatusOk) counts_.ok += 1;
  if (row.status == roofline::kStatusInvalid) counts_.invalid += 1;
  if (row.status == roofline::kStatusSkipped) counts_.skipped += 1;
  if (row.status == roofline::kStatusError) counts_.error += 1;
}

void RowSink::write(const roofline::PointRow& row, const Measurement& m) {
  rows_.write_row(roofline::csv_cells(row));
  for (std::size_t i = 0; i < m.samples_s.size(); ++i) {
    samples_.write_row({context_.run.run_id, row.model, row.series, row.op, row.phase, row.impl, row.dtype,
                        roofline::csv_number(row.batch), roofline::csv_number(row.seq_len), context_.run.l2_mode,
                        std::to_string(i), roofline::csv_number(m.samples_s[i] * 1e6),
                        roofline::csv_number(row.candidates), row.ceiling_pass, std::to_string(m.launches_per_sample)});
  }
  count(row);
}

void RowSink::skipped(const SweepTask& task) {
  Measurement m;
  m.status = roofline::kStatusSkipped;
  m.reason = task.skipped_because;
  for (std::size_t pi : task.points) {
    // Not measured: no roofs either, only the shape, the cost and the reason.
    const roofline::PointRow row =
        measured_row(*context_.model, context_.plan->points[pi], context_.run, task.impl, m, roofline::MeasuredRoofs{},
                     context_.spec, context_.warm_l2, context_.max_sm_clock_mhz);
    write(row, m);
    written_.push_back({row, false});
  }
}

// An ok ceiling raises its pass's roofs: the best DRAM ceiling is the bandwidth roof, the best tensor ceiling of a
// dtype its compute roof. The start pass's roofs judge the rows while the sweep runs; both passes' judge them again.
void RowSink::add_to_roofs(const SweepTask& task, const roofline::PointRow& row, double at) {
  if (row.status != roofline::kStatusOk) return;
  const bool end = task.pass == "end";
  roofline::MeasuredRoofs& roofs = end ? counts_.roofs_end : counts_.roofs_start;
  if (row.achieved_gbps && task.ceiling.flops == 0) roofs.gbps = std::max(roofs.gbps.value_or(0), *row.achieved_gbps);
  if (row.achieved_tflops) {
    auto& slot = task.ceiling.dtype == roofline::Dtype::kF16 ? roofs.fp16_tflops : roofs.bf16_tflops;
    slot = std::max(slot.value_or(0), *row.achieved_tflops);
  }
  (end ? end_at_sum_ : start_at_sum_) += at;
  ++(end ? end_ceilings_ : start_ceilings_);
  (end ? counts_.roofs_end_at : counts_.roofs_start_at) =
      (end ? end_at_sum_ : start_at_sum_) / (end ? end_ceilings_ : start_ceilings_);
}

void RowSink::finished(const SweepTask& task, const Measurement& m) {
  if (m.status == kStatusNotRun) return;
  const double at = (m.timed_until > 0 ? m.timed_until : steady_seconds()) - started_;
  std::vector<roofline::PointRow> rows;
  if (task.kind == SweepTask::Kind::kCeiling) {
    const Ceiling& c = task.ceiling;
    roofline::PointRow row = ceiling_row(context_.run, c.name, c.impl, c.dtype, c.flops, c.bytes, m, context_.spec,
                                         context_.max_sm_clock_mhz);
    row.ceiling_pass = task.pass;
    row.measured_at_s = at;
    write(row, m);
    written_.push_back({row, false});
    add_to_roofs(task, row, at);
    rows.push_back(std::move(row));
  } else {
    for (std::size_t pi : task.points) {
      roofline::PointRow row = unjudged_row(*context_.model, context_.plan->points[pi], context_.run, task.impl, m,
                                            context_.spec, context_.max_sm_clock_mhz);
      if (task.variant) row.variant = task.variant->name;
      row.measured_at_s = at;
      written_.push_back({row, true});  // unjudged: rejudge() judges it from scratch
      roofline::judge_row(row, counts_.roofs_start, context_.spec, context_.warm_l2);
      write(row, m);
      rows.push_back(std::move(row));
    }
  }
  progress(task, rows.front());
}

void RowSink::progress(const SweepTask& task, const roofline::PointRow& first) {
  ++finished_;
  const double elapsed = steady_seconds() - started_;
  const double left = elapsed / finished_ * (static_cast<double>(timed_tasks_) - finished_);
  std::string what = first.status;
  if (first.time_us_median) {
    char text[160];
    std::snprintf(text, sizeof text, "%.1f us, %.3g TFLOP/s, %.0f GB/s", *first.time_us_median,
                  first.achieved_tflops.value_or(0), first.achieved_gbps.value_or(0));
    what = text;
    if (first.roof_fraction) what += ", " + std::to_string(std::lround(*first.roof_fraction * 100)) + "% of roof";
    if (first.status != roofline::kStatusOk) what += " [" + first.status + "]";
  }
  if (first.status != roofline::kStatusOk && !first.reason.empty()) what += ": " + first.reason;
  auto log = first.status == roofline::kStatusOk ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(log, "[{}/{}] {}: {} | {} elapsed, ~{} left", finished_, timed_tasks_, task.name, what,
              duration_text(elapsed), duration_text(left));
}

void RowSink::rejudge(const std::string& folder) {
  if (start_ceilings_ == 0 || end_ceilings_ == 0) return;
  const std::string path = rows_.path(), rewritten = folder + "/.roofline.csv.rejudged";
  const SweepCounts before = counts_;
  counts_.ok = counts_.invalid = counts_.skipped = counts_.error = 0;
  try {
    std::filesystem::remove(rewritten);
    {
      roofline::CsvWriter out(rewritten, roofline::csv_header());
      for (const Written& w : written_) {
        roofline::PointRow row = w.row;
        if (w.judge) {
          roofline::judge_row(
              row,
              roofline::interpolate_roofs(counts_.roofs_start, counts_.roofs_start_at, counts_.roofs_end,
                                          counts_.roofs_end_at, row.measured_at_s.value_or(0)),
              context_.spec, context_.warm_l2);
        }
        out.write_row(roofline::csv_cells(row));
        count(row);
      }
      out.sync();  // on disk before it replaces the file written live
    }
    std::filesystem::rename(rewritten, path);  // atomic: the file is either the one written live or this one
    counts_.rejudged = true;
    spdlog::info("judged every point again against the roofs interpolated between the start and end ceilings");
  } catch (const std::exception& e) {  // the rows written live stay as they are
    std::error_code ignored;
    std::filesystem::remove(rewritten, ignored);
    counts_ = before;
    spdlog::warn(
        "could not rewrite {} with the end ceilings' roofs ({}); its rows are judged against the start ceilings", path,
        e.what());
  }
}

}  // namespace bench

// Where a sweep's results go, as each task finishes: roofline.csv and samples.csv (one write each, so the files are
// well formed at every moment), the counts, the progress line, and the roofs of each ceiling pass. While the sweep
// runs, points are judged against the start pass's roofs; at the end, rejudge() rewrites roofline.csv with every
// point judged against the roofs interpolated to its time. No CUDA: tested on the CPU with made-up measurements.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/rows/measurement.hpp"
#include "bench/sweep/sweep_tasks.hpp"
#include "roofline/csv.hpp"
#include "roofline/judge.hpp"
#include "roofline/machine_spec.hpp"
#include "roofline/plan.hpp"

namespace bench {

struct SweepCounts {
  int ok = 0, invalid = 0, skipped = 0, error = 0;
  bool device_failed = false;  // a sticky CUDA error: the rest of the sweep was not run
  bool interrupted = false;
  // The measured roofs of both ceiling passes (the end pass's stay empty when it did not run), at the mean time of
  // their rows (seconds from the sweep's start), and whether the points were judged again against both.
  roofline::MeasuredRoofs roofs_start, roofs_end;
  double roofs_start_at = 0, roofs_end_at = 0;
  bool rejudged = false;
  std::string gate;  // "on", or why samples were not (or stopped being) gated
};

// What every row of the run shares.
struct RowContext {
  const roofline::ModelConfig* model = nullptr;
  const roofline::Plan* plan = nullptr;
  roofline::RunInfo run;
  const roofline::MachineSpec* spec = nullptr;  // may be null (a GPU without a datasheet entry)
  bool warm_l2 = false;
  std::optional<double> max_sm_clock_mhz;
};

class RowSink {
 public:
  // Creates roofline.csv and samples.csv in `folder`. `timed_tasks` is the length of the progress line's count;
  // `started` the sweep's start on the steady clock, which `measured_at_s` counts from.
  RowSink(const std::string& folder, RowContext context, int timed_tasks, double started);

  // The rows of a finished task (a point or a ceiling; nothing for a task the sweep did not run), then the progress
  // line. Throws if a row cannot be written.
  void finished(const SweepTask& task, const Measurement& m);
  // The rows of a point that cannot run here, with the reason.
  void skipped(const SweepTask& task);
  // At the end, when both ceiling passes have roofs: every point judged again against the roofs interpolated to its
  // time; the counts follow. On failure the rows written live stay as they are (and a warning says so).
  void rejudge(const std::string& folder);

  SweepCounts& counts() { return counts_; }

 private:
  // A row into roofline.csv, its samples into samples.csv, and into the counts.
  void write(const roofline::PointRow& row, const Measurement& m);
  void count(const roofline::PointRow& row);
  void add_to_roofs(const SweepTask& task, const roofline::PointRow& row, double at);
  void progress(const SweepTask& task, const roofline::PointRow& first);

  RowContext context_;
  roofline::CsvWriter rows_, samples_;
  int timed_tasks_;
  int finished_ = 0;
  double started_;
  SweepCounts counts_;
  double start_at_sum_ = 0, end_at_sum_ = 0;
  int start_ceilings_ = 0, end_ceilings_ = 0;
  // Every row written, unjudged, in file order, with whether it is a timed point to judge again at the end.
  struct Written {
    roofline::PointRow row;
    bool judge = false;
  };
  std::vector<Written> written_;
};

}  // namespace bench

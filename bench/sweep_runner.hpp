// One device's sweep under Google Benchmark: the measured ceilings first, then every distinct problem of the plan for
// every implementation, then the ceilings again. A reporter turns each finished benchmark into CSV rows at once (and
// per-sample times, and a progress line), so an interrupted run keeps every finished row; once the end ceilings are
// in, roofline.csv is rewritten with every point judged against the roofs interpolated to its time.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "bench/cli.hpp"
#include "bench/counters.hpp"
#include "bench/cuda_raii.hpp"
#include "bench/device_info.hpp"
#include "bench/measurement.hpp"
#include "bench/timer.hpp"
#include "kernels/gemm_args.cuh"
#include "roofline/csv.hpp"

namespace bench {

struct SweepCounts {
  int ok = 0, invalid = 0, skipped = 0, error = 0;
  bool device_failed = false;  // a sticky CUDA error: the rest of the sweep was not run
  bool interrupted = false;
  // The measured roofs of both ceiling passes (the end pass's stay empty when it did not run), at the mean time of
  // their rows (seconds from the sweep's start), and whether the points were judged again against both.
  MeasuredRoofs roofs_start, roofs_end;
  double roofs_start_at = 0, roofs_end_at = 0;
  bool rejudged = false;
  std::string gate;  // "on", or why samples were not (or stopped being) gated
};

// Ceilings: at least 20 samples, and up to a second each to pin the median down (they are the roofs every point is
// judged against); --repetitions does not apply to them.
StopRule ceiling_stop_rule();

// Set by the SIGINT/SIGTERM handler; benchmarks that have not started yet are not run.
std::atomic<bool>& stop_requested();

class SweepRunner {
 public:
  SweepRunner(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
              const DeviceInfo& device, const Nvml& nvml, const roofline::MachineSpec* spec,
              const roofline::RunInfo& run, const std::string& folder);
  ~SweepRunner();

  // Registers the benchmarks, runs them (the points as --benchmark_filter selects), writes the rows and
  // gbench.json; returns the counts. benchmark::Initialize must have been called.
  SweepCounts run();

 private:
  struct Task;
  class Reporter;

  void register_ceilings(const std::string& pass);
  void register_points();
  void register_task(Task& task);
  void write_rows(const Task& task, const Measurement& m);
  void count(const roofline::PointRow& row);
  // Rewrites roofline.csv with every timed point judged against the roofs at its time (start and end passes).
  void rejudge();
  // The variant `impl` means for this problem: the preferred one for "hand", the named one otherwise; nullptr (and
  // *why) when none can run it.
  const kernels::GemmVariant* pick_variant(const roofline::GemmProblem& problem, const std::string& impl,
                                           std::string* why) const;
  void write_skipped(const std::vector<std::size_t>& points, const std::string& impl, const std::string& reason);
  Measurement measure_problem(const Task& task);
  Measurement measure_ceiling(const Task& task);
  // Warm-up, then samples until the median is known: one launch per sample, and for a short kernel (or in warm mode)
  // batches as well, `launch_copy(i, stream)` running the kernel on operand copy i (kernel_copies of them; cold mode
  // gives each launch of a batch its own). Fills the timing fields of `m`.
  void time_point(const Launch& launch, const std::function<void(int, cudaStream_t)>& launch_copy,
                  const std::function<int(int)>& make_copies, const StopRule& rule, Measurement& m);
  Measurement guarded(benchmark::State& state, const Task& task);
  void progress(const Task& task, const Measurement& m);

  const Options& options_;
  const roofline::ModelConfig& model_;
  const roofline::Plan& plan_;
  const DeviceInfo& device_;
  const Nvml& nvml_;
  const roofline::MachineSpec* spec_;
  roofline::RunInfo run_;
  std::string folder_;
  std::unique_ptr<CudaStream> stream_;
  std::unique_ptr<CublasHandle> cublas_;
  std::unique_ptr<L2Flusher> flusher_;
  std::unique_ptr<CounterProfiler> counters_;  // with --counters, when the GPU allows it
  std::unique_ptr<StreamGate> gate_;
  std::unique_ptr<ClockProbe> probe_;
  roofline::CsvWriter rows_;
  roofline::CsvWriter samples_;
  MeasuredRoofs roofs_;  // the start pass's roofs, which rows are judged against while the sweep runs
  double start_ceilings_at_sum_ = 0, end_ceilings_at_sum_ = 0;
  int start_ceilings_ = 0, end_ceilings_ = 0;
  // Every row written, unjudged, in file order, with whether it is a timed point to judge again at the end.
  struct Written {
    roofline::PointRow row;
    bool judge = false;
  };
  std::vector<Written> written_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::map<std::string, Measurement> results_;
  std::set<std::string> registered_names_;
  std::exception_ptr report_failure_;  // rows could not be written: rethrown once the JSON is closed
  SweepCounts counts_;
  int finished_ = 0;
  double started_ = 0;
};

}  // namespace bench

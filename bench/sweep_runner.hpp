// One device's sweep under Google Benchmark: the measured ceilings first, then every distinct problem of the plan for
// every implementation. A reporter turns each finished benchmark into CSV rows at once (and per-repetition samples,
// and a progress line), so an interrupted run keeps every finished row.
#pragma once

#include <atomic>
#include <exception>
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
};

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

  void register_ceilings();
  void register_points();
  void register_task(Task& task);
  void write_rows(const Task& task, const Measurement& m);
  // The variant `impl` means for this problem: the preferred one for "hand", the named one otherwise; nullptr (and
  // *why) when none can run it.
  const kernels::GemmVariant* pick_variant(const roofline::GemmProblem& problem, const std::string& impl,
                                           std::string* why) const;
  void write_skipped(const std::vector<std::size_t>& points, const std::string& impl, const std::string& reason);
  Measurement measure_problem(benchmark::State& state, const Task& task);
  Measurement measure_ceiling(benchmark::State& state, const Task& task);
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
  roofline::CsvWriter rows_;
  roofline::CsvWriter samples_;
  MeasuredRoofs roofs_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::map<std::string, Measurement> results_;
  std::set<std::string> registered_names_;
  std::exception_ptr report_failure_;  // rows could not be written: rethrown once the JSON is closed
  SweepCounts counts_;
  int finished_ = 0;
  double started_ = 0;
};

}  // namespace bench

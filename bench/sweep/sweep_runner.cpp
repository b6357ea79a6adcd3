#include "bench/sweep/sweep_runner.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>
#include <nvtx3/nvtx3.hpp>
#include <vector>

#include "bench/gpu/counters.hpp"
#include "bench/gpu/cuda_raii.hpp"
#include "bench/point/measure_point.hpp"
#include "bench/point/problem_buffers.hpp"
#include "bench/sweep/ceilings.hpp"
#include "bench/sweep/gbench_adapter.hpp"
#include "bench/sweep/sweep_tasks.hpp"
#include "bench/timing/point_timing.hpp"

namespace bench {
namespace {

// The run's CUDA resources: one stream, a cuBLAS handle on it, the L2 flush (cold mode), the stream gate (unless
// --no-gate or a CUDA tool is attached), the timer and, with --counters, the counter profiler.
struct Resources {
  CudaStream stream;
  CublasHandle cublas{stream.get()};
  std::unique_ptr<L2Flusher> flusher;
  std::unique_ptr<StreamGate> gate;
  std::unique_ptr<PointTimer> timer;
  std::unique_ptr<CounterProfiler> counters;
  std::string gate_off;  // why there is no gate

  Resources(const Options& options, const DeviceInfo& device, const Nvml& nvml) {
    if (options.l2 == L2Mode::kCold) flusher = std::make_unique<L2Flusher>(device.l2_bytes, device.sm_count);
    if (!options.gate) {
      gate_off = "off: --no-gate";
      spdlog::info("--no-gate: samples are not gated, and include the host's launch latency");
    } else if (const char* tool = std::getenv("CUDA_INJECTION64_PATH"); tool && *tool) {
      // A profiler or sanitizer is attached (it sets this): its launches may block the host, which a gate would wait
      // out on every sample.
      gate_off = "off: a CUDA tool is attached (CUDA_INJECTION64_PATH)";
      spdlog::info("a CUDA tool is attached (CUDA_INJECTION64_PATH): samples are not gated");
    } else {
      gate = std::make_unique<StreamGate>();
    }
    timer = std::make_unique<PointTimer>(stream.get(), flusher.get(), gate.get(), nvml, device.nvml_device,
                                         device.sm_count, options.l2 == L2Mode::kWarm);
    if (options.counters) {
      std::string why;
      counters = CounterProfiler::create(&why);
      if (!counters) spdlog::warn("{}", counters_refused_hint(why));  // said once; the run measures the rest
    }
  }
  std::string gate_state() const {
    if (!gate) return gate_off;
    return gate->enabled() ? "on" : "off from a point on: " + gate->why();
  }
};

// Measures one task. Nothing escapes: a failure is a row and the sweep goes on, unless it left the device unusable.
Measurement measured(const SweepTask& task, const roofline::Plan& plan, const DeviceInfo& device, Resources& r,
                     SweepCounts& counts, bool write_failed) {
  Measurement m;
  if (stop_requested()) {
    m.status = kStatusNotRun;
    m.reason = "interrupted (SIGINT/SIGTERM): not run";
    counts.interrupted = counts.interrupted || !write_failed;  // a write failure is said as such, not as a signal
    return m;
  }
  if (counts.device_failed) {
    m.status = kStatusNotRun;
    m.reason = "not run: an earlier CUDA fault left the device unusable";
    return m;
  }
  try {
    nvtx3::scoped_range range{task.name.c_str()};
    if (task.kind == SweepTask::Kind::kCeiling) {
      const auto ceiling = prepare_ceiling(task.ceiling, device, r.stream.get(), r.cublas.get());
      r.timer->time_ceiling(ceiling->launch, task.rule, m);
    } else {
      PointTools tools{r.stream.get(),  r.cublas.get(),  r.timer.get(),           r.counters.get(),
                       r.flusher.get(), device.sm_count, device.free_memory_bytes};
      m = measure_point(plan.measurements[task.measurement], kFillSeed + task.measurement, task.variant, task.rule,
                        task.name, tools);
    }
  } catch (const std::exception& e) {
    bool sticky = false;
    m = failed_measurement(e, &sticky);
    if (sticky) {
      counts.device_failed = true;
    } else {
      cudaGetLastError();  // a failed call's error stays pending: the next point's first launch must not report it
    }
  }
  if (m.status == roofline::kStatusOk && m.samples_s.empty()) {
    m.status = roofline::kStatusError;
    m.reason = "internal error: timed, but no samples";
  }
  return m;
}

}  // namespace

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

SweepCounts run_sweep(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                      const DeviceInfo& device, const Nvml& nvml, const roofline::MachineSpec* spec,
                      const roofline::RunInfo& run, const std::string& folder) {
  Resources r(options, device, nvml);
  const std::vector<SweepTask> tasks =
      sweep_tasks(plan, options, device, r.flusher ? r.flusher->bytes() : 0, selected_by_filter);
  int timed = 0;
  for (const SweepTask& task : tasks) timed += task.kind == SweepTask::Kind::kSkipped ? 0 : 1;

  const double started = steady_seconds();
  RowSink sink(folder, RowContext{&model, &plan, run, spec, options.l2 == L2Mode::kWarm, device.max_sm_clock_mhz},
               timed, started);
  std::exception_ptr write_failure;  // rows could not be written: rethrown once gbench.json is closed
  // A benchmark per task that runs. A skipped point's rows are written in run order, as the sweep passes it, so that
  // roofline.csv reads in the order of the sweep; those the sweep never reached are written at the end.
  std::vector<Benchmark> benchmarks;
  std::size_t next_skipped = 0;  // the tasks before this index have been passed
  const auto write_skipped_before = [&](std::size_t index) {
    while (next_skipped < index) {
      const SweepTask& task = tasks[next_skipped++];  // passed before it is written: a failed write is not retried
      if (task.kind == SweepTask::Kind::kSkipped) sink.skipped(task);
    }
  };
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const SweepTask& task = tasks[i];
    if (task.kind == SweepTask::Kind::kSkipped) continue;
    Benchmark b;
    b.name = task.name;
    if (task.kind == SweepTask::Kind::kPoint) b.cost = roofline::cost_of(plan.measurements[task.measurement]);
    b.run = [&, i] { return measured(tasks[i], plan, device, r, sink.counts(), write_failure != nullptr); };
    b.finished = [&, i](const Measurement& m) {
      if (write_failure) return;  // nothing more is written once a write failed
      try {
        write_skipped_before(i);
        sink.finished(tasks[i], m);
      } catch (const std::exception&) {  // a full disk, say: stop the sweep, keep gbench.json well formed
        if (!write_failure) write_failure = std::current_exception();
        stop_requested() = true;
      }
    };
    benchmarks.push_back(std::move(b));
  }
  spdlog::info("measuring {} benchmarks ({} points) on GPU {} ({}), L2 {}", timed, plan.points.size(), device.index,
               device.name, run.l2_mode);
  run_benchmarks(benchmarks, folder + "/gbench.json");
  if (write_failure) std::rethrow_exception(write_failure);
  write_skipped_before(tasks.size());

  SweepCounts& counts = sink.counts();
  counts.gate = r.gate_state();
  if (!counts.interrupted && !counts.device_failed) sink.rejudge(folder);
  return counts;
}

}  // namespace bench

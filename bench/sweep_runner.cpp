#include "bench/sweep_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nvtx3/nvtx3.hpp>
#include <regex>

#include "bench/benchmark_plan.hpp"
#include "bench/cublas_gemm.hpp"
#include "bench/validate.hpp"
#include "bench/variants.hpp"
#include "kernels/roofs.cuh"

namespace bench {
namespace {

constexpr int kCeilingRepetitions = 20;
constexpr std::uint64_t kSeed = 0x5EED;
const char* const kInterrupted = "interrupted";

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string duration_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  return s >= 60 ? std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") + std::to_string(s % 60) + "s"
                 : std::to_string(s) + "s";
}

// Google Benchmark's --benchmark_filter semantics: a regex searched in the name; a leading '-' negates it.
bool matches_filter(const std::string& name) {
  std::string filter = benchmark::GetBenchmarkFilter();
  if (filter.empty() || filter == "." || filter == "all") return true;
  const bool negate = filter.front() == '-';
  if (negate) filter.erase(0, 1);
  return std::regex_search(name, std::regex(filter)) != negate;
}

std::vector<std::string> sample_header() {
  return {"run_id", "model",   "series",  "op",         "phase",   "impl",      "dtype",
          "batch",  "seq_len", "l2_mode", "repetition", "time_us", "candidates"};
}

}  // namespace

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

struct SweepRunner::Task {
  enum class Kind { kCeiling, kProblem };
  Kind kind = Kind::kProblem;
  std::string name;  // the benchmark's name
  std::string impl;  // cublas, hand, or a ceiling's kind
  int repetitions = kCeilingRepetitions;
  // kProblem
  std::size_t measurement = 0;
  std::vector<std::size_t> points;  // the plan's points this measurement stands for
  const kernels::GemmVariant* variant = nullptr;
  // kCeiling
  roofline::Dtype dtype = roofline::Dtype::kF16;
  double flops = 0, bytes = 0;
};

class SweepRunner::Reporter : public benchmark::BenchmarkReporter {
 public:
  Reporter(SweepRunner& runner, std::ostream& json) : runner_(runner) {
    json_.SetOutputStream(&json);
    json_.SetErrorStream(&json);
  }
  bool ReportContext(const Context& context) override { return json_.ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      const std::string& name = run.run_name.function_name;
      auto task =
          std::find_if(runner_.tasks_.begin(), runner_.tasks_.end(), [&](const auto& t) { return t->name == name; });
      auto result = runner_.results_.find(name);
      if (task == runner_.tasks_.end() || result == runner_.results_.end()) continue;
      try {
        runner_.write_rows(**task, result->second);
      } catch (const std::exception& e) {
        // Rows cannot be written (a full disk, say): stop the sweep, keep the JSON well-formed, say why at the end.
        if (!runner_.report_failure_) runner_.report_failure_ = std::current_exception();
        stop_requested() = true;
      }
    }
    json_.ReportRuns(runs);
  }
  // Google Benchmark calls Finalize at the end of the run; run() calls it again on the way out of an exception.
  void Finalize() override {
    if (!finalized_) json_.Finalize();
    finalized_ = true;
  }

 private:
  SweepRunner& runner_;
  benchmark::JSONReporter json_;
  bool finalized_ = false;
};

SweepRunner::SweepRunner(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                         const DeviceInfo& device, const Nvml& nvml, const roofline::MachineSpec* spec,
                         const roofline::RunInfo& run, const std::string& folder)
    : options_(options),
      model_(model),
      plan_(plan),
      device_(device),
      nvml_(nvml),
      spec_(spec),
      run_(run),
      folder_(folder),
      rows_(folder + "/roofline.csv", roofline::csv_header()),
      samples_(folder + "/samples.csv", sample_header()) {
  stream_ = std::make_unique<CudaStream>();
  cublas_ = std::make_unique<CublasHandle>(stream_->get());
  if (options_.l2 == L2Mode::kCold) flusher_ = std::make_unique<L2Flusher>(device_.l2_bytes, device_.sm_count);
  if (options_.counters) {
    std::string why;
    counters_ = CounterProfiler::create(&why);
    if (!counters_) spdlog::warn("{}", counters_refused_hint(why));  // said once; the run measures the rest
  }
}

SweepRunner::~SweepRunner() = default;

void SweepRunner::register_ceilings() {
  const std::int64_t l2 = std::max<std::int64_t>(device_.l2_bytes, 1 << 20);
  // Far larger than L2 (at least 8x, and 1 GiB), and at most a quarter of free memory.
  const std::int64_t stream_bytes =
      std::min<std::int64_t>(std::max<std::int64_t>(8 * l2, std::int64_t{1} << 30), device_.free_memory_bytes / 4) /
      16 * 16;
  auto add = [&](const std::string& kind, roofline::Dtype dtype, double flops, double bytes) {
    auto task = std::make_unique<Task>();
    task->kind = Task::Kind::kCeiling;
    task->impl = kind;
    task->name = "ceiling/" + kind;
    task->dtype = dtype;
    task->flops = flops;
    task->bytes = bytes;
    tasks_.push_back(std::move(task));
  };
  add("dram_read", roofline::Dtype::kF16, 0, static_cast<double>(stream_bytes));
  add("dram_copy", roofline::Dtype::kF16, 0, static_cast<double>(stream_bytes));  // half read, half written
  for (roofline::Dtype dtype : options_.sweep.dtypes) {
    const int blocks = device_.sm_count * 4;
    add(std::string("mma_sync_") + roofline::dtype_name(dtype), dtype, kernels::mma_peak_flops(blocks, 16384), 0);
    // The same loop with rotated, data-like operands (issue 13): reported beside it until a GPU run shows which of the
    // two the roof should take; the measured roof is still the best ceiling of the run.
    add(std::string("mma_sync_rotating_") + roofline::dtype_name(dtype), dtype,
        kernels::mma_peak_rotating_flops(blocks, 16384), 0);
    add(std::string("cublas_gemm_8192_") + roofline::dtype_name(dtype), dtype, 2.0 * 8192.0 * 8192.0 * 8192.0, 0);
  }
}

void SweepRunner::register_points() {
  for (BenchmarkEntry& entry : benchmark_entries(plan_, options_.impls)) {
    if (!matches_filter(entry.name)) continue;
    const roofline::GemmProblem& problem = plan_.measurements[entry.measurement];
    const kernels::GemmVariant* variant = nullptr;
    if (entry.impl != "cublas") {
      std::string why;
      variant = pick_variant(problem, entry.impl, &why);
      if (!variant) {
        write_skipped(entry.points, entry.impl, why);
        continue;
      }
    }
    const std::int64_t needed = roofline::buffer_bytes(problem);
    const std::int64_t output = entry.impl == "cublas" ? 0
                                                       : roofline::dtype_bytes(problem.dtype) *
                                                             problem.c.buffer_elements(problem.batch, problem.heads);
    const std::int64_t flush = flusher_ ? flusher_->bytes() : 0;
    if (!fits_in_memory(needed, output, device_.free_memory_bytes - flush)) {
      write_skipped(entry.points, entry.impl,
                    "does not fit: needs " + std::to_string((needed + output) >> 20) + " MiB of device memory, " +
                        std::to_string((device_.free_memory_bytes - flush) >> 20) + " MiB free");
      continue;
    }
    const roofline::Cost cost = roofline::cost_of(problem);
    const double peak = spec_ ? spec_->peak_tflops(problem.dtype) * 1e12 : 100e12;
    const double bandwidth = spec_ ? spec_->dram_gbps * 1e9 : 1e12;
    const double estimate = std::max(static_cast<double>(cost.flops) / (0.7 * peak),
                                     static_cast<double>(cost.bytes_min) / (0.8 * bandwidth));
    auto task = std::make_unique<Task>();
    task->name = std::move(entry.name);
    task->impl = entry.impl;
    task->measurement = entry.measurement;
    task->points = std::move(entry.points);
    task->variant = variant;
    task->repetitions = options_.repetitions.value_or(default_repetitions(estimate));
    tasks_.push_back(std::move(task));
  }
}

const kernels::GemmVariant* SweepRunner::pick_variant(const roofline::GemmProblem& problem, const std::string& impl,
                                                      std::string* why) const {
  kernels::GemmArgs args = gemm_args(problem);
  args.sm_count = device_.sm_count;
  return choose_variant(args, impl, device_.cc_major * 10 + device_.cc_minor, why);
}

void SweepRunner::write_skipped(const std::vector<std::size_t>& points, const std::string& impl,
                                const std::string& reason) {
  Measurement m;
  m.status = roofline::kStatusSkipped;
  m.reason = reason;
  for (std::size_t pi : points) {
    rows_.write_row(roofline::csv_cells(
        measured_row(model_, plan_.points[pi], run_, impl, m, roofs_, spec_, options_.l2 == L2Mode::kWarm)));
    ++counts_.skipped;
  }
}

Measurement SweepRunner::guarded(benchmark::State& state, const Task& task) {
  Measurement m;
  if (stop_requested()) {
    m.status = kInterrupted;
    counts_.interrupted = counts_.interrupted || !report_failure_;  // a write failure is said as such, not as a signal
    state.SkipWithError("interrupted (SIGINT/SIGTERM): not run");
    return m;
  }
  if (counts_.device_failed) {
    m.status = kInterrupted;
    state.SkipWithError("not run: an earlier CUDA fault left the device unusable");
    return m;
  }
  try {
    nvtx3::scoped_range range{task.name.c_str()};
    m = task.kind == Task::Kind::kCeiling ? measure_ceiling(state, task) : measure_problem(state, task);
  } catch (const std::exception& e) {  // nothing may escape into Google Benchmark: it is a row, and the sweep goes on
    bool sticky = false;
    m = failed_measurement(e, &sticky);
    if (sticky) counts_.device_failed = true;
  }
  if (m.status != roofline::kStatusOk) state.SkipWithError(m.reason.c_str());
  return m;
}

Measurement SweepRunner::measure_problem(benchmark::State& state, const Task& task) {
  const roofline::GemmProblem& problem = plan_.measurements[task.measurement];
  cudaStream_t stream = stream_->get();
  ProblemBuffers buffers(problem, stream, kSeed + task.measurement);
  const std::int64_t c_elements = buffers.c.bytes() / 2;
  Measurement m;
  Launch launch;
  DeviceBuffer workspace;  // the variant's scratch space, if it needs any
  if (task.impl == "cublas") {
    launch = [&](cudaStream_t) { cublas_gemm(cublas_->get(), buffers); };
    // cuBLAS is the reference; still, every output element must be written (the poison must be gone).
    launch(stream);
    if (std::isnan(relative_error(buffers.c.get(), buffers.c.get(), c_elements, element_of(problem.dtype), stream))) {
      m.status = roofline::kStatusInvalid;
      m.reason = "cuBLAS left output elements unwritten (NaN poison remained)";
      return m;
    }
  } else {
    kernels::GemmArgs args = buffers.args();
    args.sm_count = device_.sm_count;
    workspace = DeviceBuffer(static_cast<std::int64_t>(task.variant->workspace_bytes(args)));
    args.workspace = workspace.get();
    launch = [&task, args](cudaStream_t s) { BENCH_LLAMA_CUDA_CHECK(task.variant->launch(args, s)); };
    // Validate before timing: cuBLAS's output becomes the reference, the output is poisoned, the kernel runs.
    cublas_gemm(cublas_->get(), buffers);
    DeviceBuffer reference(buffers.c.bytes());
    BENCH_LLAMA_CUDA_CHECK(
        cudaMemcpyAsync(reference.get(), buffers.c.get(), buffers.c.bytes(), cudaMemcpyDeviceToDevice, stream));
    buffers.poison_output(stream);
    launch(stream);
    m.rel_error = relative_error(buffers.c.get(), reference.get(), c_elements, element_of(problem.dtype), stream);
    if (!(*m.rel_error <= tolerance(problem.dtype))) {
      m.status = roofline::kStatusInvalid;
      m.reason = std::isnan(*m.rel_error) ? "output elements left unwritten (NaN poison remained)"
                                          : "relative error " + std::to_string(*m.rel_error) + " above the " +
                                                roofline::dtype_name(problem.dtype) + " tolerance " +
                                                std::to_string(tolerance(problem.dtype));
      return m;
    }
  }
  TimingPlan plan;
  plan.flusher = flusher_.get();
  plan.launches_per_sample = options_.l2 == L2Mode::kWarm ? 10 : 1;
  warm_up(launch, stream, plan);
  m.telemetry.push_back(nvml_.read(device_.nvml_device));
  m.samples_s = time_in_benchmark(state, launch, stream, plan);
  m.telemetry.push_back(nvml_.read(device_.nvml_device));
  if (counters_) {  // a pass of its own, after the timing, in the same L2 state
    std::string why;
    m.counters = counters_->measure(launch, stream, flusher_.get(), &why);
    if (!m.counters) spdlog::warn("{}: counters not read ({})", task.name, why);
  }
  const roofline::Cost cost = roofline::cost_of(problem);
  state.counters["FLOP/s"] =
      benchmark::Counter(static_cast<double>(cost.flops), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["B/s"] =
      benchmark::Counter(static_cast<double>(cost.bytes_min), benchmark::Counter::kIsIterationInvariantRate);
  return m;
}

Measurement SweepRunner::measure_ceiling(benchmark::State& state, const Task& task) {
  cudaStream_t stream = stream_->get();
  Measurement m;
  TimingPlan plan;
  plan.flusher = nullptr;  // the stream kernels are far larger than L2; the MMA loop never touches memory
  Launch launch;
  DeviceBuffer a, b, sink(4096);
  std::unique_ptr<ProblemBuffers> gemm;
  const std::int64_t bytes = static_cast<std::int64_t>(task.bytes);
  if (task.impl == "dram_read") {
    a = DeviceBuffer(bytes);
    BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(a.get(), 1, static_cast<std::size_t>(bytes), stream));
    launch = [&](cudaStream_t s) {
      BENCH_LLAMA_CUDA_CHECK(kernels::dram_read(a.get(), bytes, sink.as<std::uint32_t>(), device_.sm_count, s));
    };
  } else if (task.impl == "dram_copy") {
    a = DeviceBuffer(bytes / 2 / 16 * 16);
    b = DeviceBuffer(a.bytes());
    BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(a.get(), 1, static_cast<std::size_t>(a.bytes()), stream));
    launch = [&](cudaStream_t s) {
      BENCH_LLAMA_CUDA_CHECK(kernels::dram_copy(b.get(), a.get(), a.bytes(), device_.sm_count, s));
    };
  } else if (task.impl.rfind("mma_sync_", 0) == 0) {
    const int blocks = device_.sm_count * 4;
    const bool rotating = task.impl.rfind("mma_sync_rotating_", 0) == 0;
    sink = DeviceBuffer(blocks * kernels::kMmaPeakWarpsPerBlock * sizeof(float));
    launch = [&, blocks, rotating](cudaStream_t s) {
      const auto peak = rotating ? kernels::mma_peak_rotating : kernels::mma_peak;
      BENCH_LLAMA_CUDA_CHECK(peak(element_of(task.dtype), blocks, 16384, sink.as<float>(), s));
    };
  } else {
    roofline::GemmProblem p;
    p.m = p.n = p.k = 8192;
    p.dtype = task.dtype;
    p.a = p.b = p.c = roofline::Operand{8192, 8192, 8192, 0, 0, 1, 1};
    gemm = std::make_unique<ProblemBuffers>(p, stream, kSeed);
    launch = [&](cudaStream_t) { cublas_gemm(cublas_->get(), *gemm); };
  }
  warm_up(launch, stream, plan);
  m.telemetry.push_back(nvml_.read(device_.nvml_device));
  m.samples_s = time_in_benchmark(state, launch, stream, plan);
  m.telemetry.push_back(nvml_.read(device_.nvml_device));
  return m;
}

void SweepRunner::write_rows(const Task& task, const Measurement& m) {
  if (m.status == kInterrupted) return;  // not run: no row
  const bool warm = options_.l2 == L2Mode::kWarm;
  std::vector<roofline::PointRow> rows;
  if (task.kind == Task::Kind::kCeiling) {
    rows.push_back(ceiling_row(run_, task.impl, task.dtype, task.flops, task.bytes, m, spec_));
    const auto& row = rows.back();
    if (row.status == roofline::kStatusOk) {
      if (row.achieved_gbps && task.flops == 0) roofs_.gbps = std::max(roofs_.gbps.value_or(0), *row.achieved_gbps);
      if (row.achieved_tflops) {
        auto& slot = task.dtype == roofline::Dtype::kF16 ? roofs_.fp16_tflops : roofs_.bf16_tflops;
        slot = std::max(slot.value_or(0), *row.achieved_tflops);
      }
    }
  } else {
    for (std::size_t pi : task.points) {
      rows.push_back(measured_row(model_, plan_.points[pi], run_, task.impl, m, roofs_, spec_, warm));
      if (task.variant) rows.back().variant = task.variant->name;
    }
  }
  for (const auto& row : rows) {
    rows_.write_row(roofline::csv_cells(row));
    for (std::size_t i = 0; i < m.samples_s.size(); ++i) {
      samples_.write_row({run_.run_id, row.model, row.series, row.op, row.phase, row.impl, row.dtype,
                          roofline::csv_number(row.batch), roofline::csv_number(row.seq_len), run_.l2_mode,
                          std::to_string(i), roofline::csv_number(m.samples_s[i] * 1e6),
                          roofline::csv_number(row.candidates)});
    }
    if (row.status == roofline::kStatusOk) ++counts_.ok;
    if (row.status == roofline::kStatusInvalid) ++counts_.invalid;
    if (row.status == roofline::kStatusSkipped) ++counts_.skipped;
    if (row.status == roofline::kStatusError) ++counts_.error;
  }
  ++finished_;
  const roofline::PointRow& first = rows.front();
  const double elapsed = now_seconds() - started_;
  const double left = elapsed / finished_ * (static_cast<double>(tasks_.size()) - finished_);
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
  spdlog::log(log, "[{}/{}] {}: {} | {} elapsed, ~{} left", finished_, tasks_.size(), task.name, what,
              duration_text(elapsed), duration_text(left));
}

void SweepRunner::register_task(Task& task) {
  // The reporter finds a benchmark's task and result by its name: a second benchmark of the same name would have its
  // rows written for the other's points.
  if (!registered_names_.insert(task.name).second) {
    throw std::logic_error("two benchmarks named \"" + task.name + "\": benchmark names must be unique");
  }
  Task* t = &task;
  benchmark::RegisterBenchmark(t->name.c_str(),
                               [this, t](benchmark::State& state) { results_[t->name] = guarded(state, *t); })
      ->UseManualTime()
      ->Iterations(t->repetitions)
      ->Unit(benchmark::kMicrosecond);
}

SweepCounts SweepRunner::run() {
  // One Google Benchmark run (so that --benchmark_out gets every benchmark, once): the measured ceilings are
  // registered first, whatever --benchmark_filter says, so that every point is judged against them; then the points
  // the filter selects (register_points applies it, so the progress line counts what will run).
  register_ceilings();
  register_points();
  std::ofstream json(folder_ + "/gbench.json");
  Reporter reporter(*this, json);
  started_ = now_seconds();
  spdlog::info("measuring {} benchmarks ({} points) on GPU {} ({}), L2 {}", tasks_.size(), plan_.points.size(),
               device_.index, device_.name, run_.l2_mode);
  try {
    for (auto& task : tasks_) register_task(*task);
    benchmark::RunSpecifiedBenchmarks(&reporter, ".");
  } catch (...) {  // registered lambdas hold `this`: none may outlive the runner
    reporter.Finalize();
    benchmark::ClearRegisteredBenchmarks();
    throw;
  }
  reporter.Finalize();
  benchmark::ClearRegisteredBenchmarks();
  if (report_failure_) std::rethrow_exception(report_failure_);
  return counts_;
}

}  // namespace bench

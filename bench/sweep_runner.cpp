#include "bench/sweep_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nvtx3/nvtx3.hpp>
#include <regex>

#include "bench/benchmark_plan.hpp"
#include "bench/cublas_gemm.hpp"
#include "bench/device_kind.hpp"
#include "bench/validate.hpp"
#include "bench/variants.hpp"
#include "kernels/roofs.cuh"

namespace bench {
namespace {

constexpr std::uint64_t kSeed = 0x5EED;

const char* const kInterrupted = "interrupted";

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
  // candidates since schema version 2; ceiling_pass (start or end, for ceilings) and launches_per_sample (the kernels
  // behind one sample, whose time is per kernel) since version 3.
  return {"run_id",     "model",   "series",     "op",           "phase",
          "impl",       "dtype",   "batch",      "seq_len",      "l2_mode",
          "repetition", "time_us", "candidates", "ceiling_pass", "launches_per_sample"};
}

}  // namespace

StopRule ceiling_stop_rule() {
  StopRule rule;
  rule.min_samples = 20;
  rule.max_seconds = 1.0;
  return rule;
}

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

struct SweepRunner::Task {
  enum class Kind { kCeiling, kProblem };
  Kind kind = Kind::kProblem;
  std::string name;  // the benchmark's name
  std::string impl;  // cublas, hand, or a ceiling's kind
  StopRule rule;     // when to stop sampling
  // kProblem
  std::size_t measurement = 0;
  std::vector<std::size_t> points;  // the plan's points this measurement stands for
  const kernels::GemmVariant* variant = nullptr;
  // kCeiling
  roofline::Dtype dtype = roofline::Dtype::kF16;
  double flops = 0, bytes = 0;
  std::string pass;  // start (before the points) or end (after them)
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
  if (!options_.gate) {
    spdlog::info("--no-gate: samples are not gated, and include the host's launch latency");
  } else if (const char* tool = std::getenv("CUDA_INJECTION64_PATH"); tool && *tool) {
    // A profiler or sanitizer is attached (it sets this): its launches may block the host, which a gate would wait
    // out on every sample.
    spdlog::info("a CUDA tool is attached (CUDA_INJECTION64_PATH): samples are not gated");
  } else {
    gate_ = std::make_unique<StreamGate>();
  }
  probe_ = std::make_unique<ClockProbe>(device_.sm_count);
  if (options_.counters) {
    std::string why;
    counters_ = CounterProfiler::create(&why);
    if (!counters_) spdlog::warn("{}", counters_refused_hint(why));  // said once; the run measures the rest
  }
}

SweepRunner::~SweepRunner() = default;

void SweepRunner::register_ceilings(const std::string& pass) {
  const std::int64_t l2 = std::max<std::int64_t>(device_.l2_bytes, 1 << 20);
  // Far larger than L2 (at least 8x, and 1 GiB), and at most a quarter of free memory.
  const std::int64_t stream_bytes =
      std::min<std::int64_t>(std::max<std::int64_t>(8 * l2, kHarnessWork.stream_min_bytes),
                             device_.free_memory_bytes / 4) /
      16 * 16;
  auto add = [&](const std::string& kind, roofline::Dtype dtype, double flops, double bytes) {
    auto task = std::make_unique<Task>();
    task->kind = Task::Kind::kCeiling;
    task->impl = kind;
    task->name = "ceiling/" + kind + (pass == "end" ? "/end" : "");
    task->dtype = dtype;
    task->flops = flops;
    task->bytes = bytes;
    task->pass = pass;
    task->rule = ceiling_stop_rule();
    tasks_.push_back(std::move(task));
  };
  add("dram_read", roofline::Dtype::kF16, 0, static_cast<double>(stream_bytes));
  add("dram_copy", roofline::Dtype::kF16, 0, static_cast<double>(stream_bytes));  // half read, half written
  for (roofline::Dtype dtype : options_.sweep.dtypes) {
    const int blocks = device_.sm_count * 4;
    const int rounds = kHarnessWork.mma_peak_iterations;
    add(std::string("mma_sync_") + roofline::dtype_name(dtype), dtype, kernels::mma_peak_flops(blocks, rounds), 0);
    // The same loop with rotated, data-like operands: reported beside it until a GPU run shows which of the
    // two the roof should take; the measured roof is still the best ceiling of the run.
    add(std::string("mma_sync_rotating_") + roofline::dtype_name(dtype), dtype,
        kernels::mma_peak_rotating_flops(blocks, rounds), 0);
    const double n = kHarnessWork.cublas_ceiling_size;
    add("cublas_gemm_" + std::to_string(kHarnessWork.cublas_ceiling_size) + "_" + roofline::dtype_name(dtype), dtype,
        2.0 * n * n * n, 0);
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
                    "does not fit: needs " + std::to_string((needed + output) >> 20) + " MiB of device memory and " +
                        std::to_string(kMemoryHeadroomBytes >> 20) + " MiB of headroom, " +
                        std::to_string((device_.free_memory_bytes - flush) >> 20) + " MiB free");
      continue;
    }
    auto task = std::make_unique<Task>();
    task->name = std::move(entry.name);
    task->impl = entry.impl;
    task->measurement = entry.measurement;
    task->points = std::move(entry.points);
    task->variant = variant;
    task->rule = options_.repetitions ? StopRule::fixed(*options_.repetitions) : StopRule{};
    tasks_.push_back(std::move(task));
  }
}

const kernels::GemmVariant* SweepRunner::pick_variant(const roofline::GemmProblem& problem, const std::string& impl,
                                                      std::string* why) const {
  kernels::GemmArgs args = gemm_args(problem);
  args.sm_count = device_.sm_count;
  return choose_variant(args, impl, device_.cc_major * 10 + device_.cc_minor, why, options_.allowed_variants);
}

void SweepRunner::write_skipped(const std::vector<std::size_t>& points, const std::string& impl,
                                const std::string& reason) {
  Measurement m;
  m.status = roofline::kStatusSkipped;
  m.reason = reason;
  for (std::size_t pi : points) {
    const roofline::PointRow row = measured_row(model_, plan_.points[pi], run_, impl, m, roofs_, spec_,
                                                options_.l2 == L2Mode::kWarm, device_.max_sm_clock_mhz);
    rows_.write_row(roofline::csv_cells(row));
    written_.push_back({row, false});
    count(row);
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
    m = task.kind == Task::Kind::kCeiling ? measure_ceiling(task) : measure_problem(task);
  } catch (const std::exception& e) {  // nothing may escape into Google Benchmark: it is a row, and the sweep goes on
    bool sticky = false;
    m = failed_measurement(e, &sticky);
    if (sticky) {
      counts_.device_failed = true;
    } else {
      cudaGetLastError();  // a failed call's error stays pending: the next point's first launch must not report it
    }
  }
  if (m.status == roofline::kStatusOk && m.samples_s.empty()) {
    m.status = roofline::kStatusError;
    m.reason = "internal error: timed, but no samples";
  }
  if (m.status != roofline::kStatusOk) {
    state.SkipWithError(m.reason.c_str());
    return m;
  }
  // bench_llama takes the samples itself (until the median is known, bench/stats.hpp); Google Benchmark runs one
  // iteration, reported as the median, with the sample count and the median's interval as counters.
  const double median = summarize(m.samples_s).median;
  for (auto _ : state) state.SetIterationTime(median);
  state.counters["samples"] = static_cast<double>(m.samples_s.size());
  state.counters["launches_per_sample"] = m.launches_per_sample;
  if (const double ci = median_ci_rel(m.samples_s); std::isfinite(ci)) state.counters["median_ci_rel"] = ci;
  if (task.kind == Task::Kind::kProblem) {
    const roofline::Cost cost = roofline::cost_of(plan_.measurements[task.measurement]);
    state.counters["FLOP/s"] =
        benchmark::Counter(static_cast<double>(cost.flops), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["B/s"] =
        benchmark::Counter(static_cast<double>(cost.bytes_min), benchmark::Counter::kIsIterationInvariantRate);
  }
  return m;
}

void SweepRunner::time_point(const Launch& launch, const std::function<void(int, cudaStream_t)>& launch_copy,
                             const std::function<int(int)>& make_copies, const StopRule& rule, Measurement& m) {
  cudaStream_t stream = stream_->get();
  const bool warm = options_.l2 == L2Mode::kWarm;
  TimingPlan single;
  single.flusher = flusher_.get();
  single.gate = gate_.get();
  const double estimate = warm_up(launch, stream, single);

  // A short kernel (cold) or any kernel (warm: back to back is what warm means) is timed in batches too, and the batch
  // is the reported time. Cold: a flush, then each launch of the batch on its own copy of the operands, so that every
  // one of them reads from DRAM.
  int launches = 0;
  if (warm) {
    launches = batched_launches(estimate, 32);
  } else if (estimate < kShortKernelSeconds) {
    const int wanted = batched_launches(estimate, 32);
    launches = wanted >= 2 ? batched_launches(estimate, make_copies(wanted)) : 0;
  }
  // The clock probe and NVML's counters bracket the samples behind the reported median (flushes between them
  // included), nothing else.
  const auto timed = [&](const Launch& body, const TimingPlan& plan) {
    m.telemetry.push_back(nvml_.read(device_.nvml_device));
    probe_->before(stream);
    m.samples_s = time_until_stable(body, stream, plan, rule, &m.stop);
    probe_->after(stream);
    m.probe_clock_mhz = probe_->mean_mhz(stream);
    m.telemetry.push_back(nvml_.read(device_.nvml_device));
    m.timed_until = steady_seconds();
  };
  if (launches < 2) {
    timed(launch, single);
    return;
  }
  // The single-launch median of a batched point is a second opinion (time_us_single): a smaller share of the time.
  StopRule single_rule = rule;
  if (single_rule.min_samples < single_rule.max_samples) single_rule.max_seconds = rule.max_seconds / 5;
  Stop single_stop = Stop::kContinue;
  m.single_samples_s = time_until_stable(launch, stream, single, single_rule, &single_stop);

  TimingPlan batched;
  batched.flusher = flusher_.get();
  batched.gate = gate_.get();
  batched.warmup_min_seconds = 0.002;  // the clocks are up already: this warms the copies and the graph
  std::unique_ptr<CudaGraph> graph;
  int next = 0;
  Launch body = [&](cudaStream_t s) {  // cold: launch i of a batch on copy i
    launch_copy(next, s);
    next = (next + 1) % launches;
  };
  batched.launches_per_sample = launches;
  if (warm) {  // one CUDA graph of the launches, so that no host launch cost sits between them
    try {
      graph = std::make_unique<CudaGraph>(launch, launches, stream);
      body = [&graph](cudaStream_t s) { graph->launch(s); };
      batched.launches_per_sample = 1;
      batched.kernels_per_launch = launches;
    } catch (const CudaError& e) {
      if (e.sticky()) throw;
      body = launch;  // plain launches back to back on the same operands, gated: still warm, still queued whole
      m.reason =
          std::string("warm batches are plain launches back to back: CUDA graph capture failed (") + e.what() + ")";
    }
  }
  warm_up(body, stream, batched);
  timed(body, batched);
  m.launches_per_sample = launches;
}

Measurement SweepRunner::measure_problem(const Task& task) {
  const roofline::GemmProblem& problem = plan_.measurements[task.measurement];
  cudaStream_t stream = stream_->get();
  // Copy 0 is validated and timed alone; more copies are made only for batched samples of a short kernel.
  std::vector<std::unique_ptr<ProblemBuffers>> copies;
  copies.push_back(std::make_unique<ProblemBuffers>(problem, stream, kSeed + task.measurement));
  ProblemBuffers& buffers = *copies.front();
  const std::int64_t c_elements = buffers.c.bytes() / 2;
  Measurement m;
  std::vector<DeviceBuffer> workspaces;  // the variant's scratch space, if it needs any: one per copy, so that a
                                         // batch's launches find theirs as cold as a single launch does
  std::vector<kernels::GemmArgs> args;   // a hand kernel's arguments, one per copy
  std::function<void(int, cudaStream_t)> launch_copy;
  if (task.impl == "cublas") {
    launch_copy = [&](int copy, cudaStream_t) { cublas_gemm(cublas_->get(), *copies[copy]); };
    // cuBLAS is the reference; still, every output element must be written (the poison must be gone).
    launch_copy(0, stream);
    if (std::isnan(relative_error(buffers.c.get(), buffers.c.get(), c_elements, element_of(problem.dtype), stream))) {
      m.status = roofline::kStatusInvalid;
      m.reason = "cuBLAS left output elements unwritten (NaN poison remained)";
      return m;
    }
  } else {
    kernels::GemmArgs first = buffers.args();
    first.sm_count = device_.sm_count;
    workspaces.emplace_back(static_cast<std::int64_t>(task.variant->workspace_bytes(first)));
    first.workspace = workspaces.back().get();
    args.push_back(first);
    launch_copy = [&](int copy, cudaStream_t s) { BENCH_LLAMA_CUDA_CHECK(task.variant->launch(args[copy], s)); };
    // Validate before timing: cuBLAS's output becomes the reference, the output is poisoned, the kernel runs.
    cublas_gemm(cublas_->get(), buffers);
    DeviceBuffer reference(buffers.c.bytes());
    BENCH_LLAMA_CUDA_CHECK(
        cudaMemcpyAsync(reference.get(), buffers.c.get(), buffers.c.bytes(), cudaMemcpyDeviceToDevice, stream));
    buffers.poison_output(stream);
    launch_copy(0, stream);
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
  // Up to `wanted` operand copies, within a quarter of free memory (and 4 GiB); returns how many there are. Running out
  // of memory here only means fewer copies: the point is still timed one launch at a time.
  const auto make_copies = [&](int wanted) {
    const std::int64_t each = std::max<std::int64_t>(roofline::buffer_bytes(problem), 1);
    const std::int64_t budget = std::min<std::int64_t>(device_.free_memory_bytes / 4, std::int64_t{4} << 30);
    const auto fit = static_cast<std::size_t>(std::clamp<std::int64_t>(budget / each, 1, wanted));
    try {
      while (copies.size() < fit) {
        copies.push_back(std::make_unique<ProblemBuffers>(problem, stream, kSeed + task.measurement + copies.size()));
        if (!args.empty()) {
          kernels::GemmArgs more = copies.back()->args();
          more.sm_count = device_.sm_count;
          workspaces.emplace_back(static_cast<std::int64_t>(task.variant->workspace_bytes(more)));
          more.workspace = workspaces.back().get();
          args.push_back(more);
        }
      }
    } catch (const CudaError& e) {
      if (!e.out_of_memory()) throw;
      cudaGetLastError();  // an allocation failure is not sticky: clear it and time with the copies there are
      if (!args.empty()) copies.resize(args.size());  // a copy whose workspace did not fit is no copy
    }
    return static_cast<int>(copies.size());
  };
  const Launch launch = [&](cudaStream_t s) { launch_copy(0, s); };
  time_point(launch, launch_copy, make_copies, task.rule, m);
  if (counters_) {  // a pass of its own, after the timing, in the same L2 state
    std::string why;
    m.counters = counters_->measure(launch, stream, flusher_.get(), &why);
    if (!m.counters) spdlog::warn("{}: counters not read ({})", task.name, why);
  }
  return m;
}

Measurement SweepRunner::measure_ceiling(const Task& task) {
  cudaStream_t stream = stream_->get();
  Measurement m;
  TimingPlan plan;
  plan.flusher = nullptr;  // the stream kernels are far larger than L2; the MMA loop never touches memory
  plan.gate = gate_.get();
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
      BENCH_LLAMA_CUDA_CHECK(
          peak(element_of(task.dtype), blocks, kHarnessWork.mma_peak_iterations, sink.as<float>(), s));
    };
  } else {
    roofline::GemmProblem p;
    const std::int64_t n = kHarnessWork.cublas_ceiling_size;
    p.m = p.n = p.k = n;
    p.dtype = task.dtype;
    p.a = p.b = p.c = roofline::Operand{n, n, n, 0, 0, 1, 1};
    gemm = std::make_unique<ProblemBuffers>(p, stream, kSeed);
    launch = [&](cudaStream_t) { cublas_gemm(cublas_->get(), *gemm); };
  }
  warm_up(launch, stream, plan);
  m.telemetry.push_back(nvml_.read(device_.nvml_device));
  probe_->before(stream);
  m.samples_s = time_until_stable(launch, stream, plan, task.rule, &m.stop);
  probe_->after(stream);
  m.probe_clock_mhz = probe_->mean_mhz(stream);
  m.telemetry.push_back(nvml_.read(device_.nvml_device));
  m.timed_until = steady_seconds();
  return m;
}

void SweepRunner::count(const roofline::PointRow& row) {
  if (row.status == roofline::kStatusOk) counts_.ok += 1;
  if (row.status == roofline::kStatusInvalid) counts_.invalid += 1;
  if (row.status == roofline::kStatusSkipped) counts_.skipped += 1;
  if (row.status == roofline::kStatusError) counts_.error += 1;
}

void SweepRunner::write_rows(const Task& task, const Measurement& m) {
  if (m.status == kInterrupted) return;  // not run: no row
  const bool warm = options_.l2 == L2Mode::kWarm;
  const double at = (m.timed_until > 0 ? m.timed_until : steady_seconds()) - started_;
  std::vector<roofline::PointRow> rows;
  if (task.kind == Task::Kind::kCeiling) {
    rows.push_back(
        ceiling_row(run_, task.impl, task.dtype, task.flops, task.bytes, m, spec_, device_.max_sm_clock_mhz));
    auto& row = rows.back();
    row.ceiling_pass = task.pass;
    row.measured_at_s = at;
    written_.push_back({row, false});
    if (row.status == roofline::kStatusOk) {
      // The start pass's roofs judge the rows while the sweep runs; both passes' judge them again at the end.
      MeasuredRoofs& roofs = task.pass == "end" ? counts_.roofs_end : counts_.roofs_start;
      if (row.achieved_gbps && task.flops == 0) roofs.gbps = std::max(roofs.gbps.value_or(0), *row.achieved_gbps);
      if (row.achieved_tflops) {
        auto& slot = task.dtype == roofline::Dtype::kF16 ? roofs.fp16_tflops : roofs.bf16_tflops;
        slot = std::max(slot.value_or(0), *row.achieved_tflops);
      }
      (task.pass == "end" ? end_ceilings_at_sum_ : start_ceilings_at_sum_) += at;
      ++(task.pass == "end" ? end_ceilings_ : start_ceilings_);
      if (task.pass != "end") roofs_ = counts_.roofs_start;
    }
  } else {
    for (std::size_t pi : task.points) {
      roofline::PointRow row =
          unjudged_row(model_, plan_.points[pi], run_, task.impl, m, spec_, device_.max_sm_clock_mhz);
      if (task.variant) row.variant = task.variant->name;
      row.measured_at_s = at;
      written_.push_back({row, true});
      judge_row(row, roofs_, spec_, warm);
      rows.push_back(std::move(row));
    }
  }
  for (const auto& row : rows) {
    rows_.write_row(roofline::csv_cells(row));
    for (std::size_t i = 0; i < m.samples_s.size(); ++i) {
      samples_.write_row({run_.run_id, row.model, row.series, row.op, row.phase, row.impl, row.dtype,
                          roofline::csv_number(row.batch), roofline::csv_number(row.seq_len), run_.l2_mode,
                          std::to_string(i), roofline::csv_number(m.samples_s[i] * 1e6),
                          roofline::csv_number(row.candidates), row.ceiling_pass,
                          std::to_string(m.launches_per_sample)});
    }
    count(row);
  }
  ++finished_;
  const roofline::PointRow& first = rows.front();
  const double elapsed = steady_seconds() - started_;
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
      ->Iterations(1)  // bench_llama takes the samples itself (guarded)
      ->Unit(benchmark::kMicrosecond);
}

SweepCounts SweepRunner::run() {
  // One Google Benchmark run (so that --benchmark_out gets every benchmark, once): the measured ceilings are
  // registered first, whatever --benchmark_filter says, so that every point is judged against them; then the points
  // the filter selects (register_points applies it, so the progress line counts what will run); then the ceilings
  // again, on a GPU as warm as the last points found it.
  register_ceilings("start");
  register_points();
  register_ceilings("end");
  std::ofstream json(folder_ + "/gbench.json");
  Reporter reporter(*this, json);
  started_ = steady_seconds();
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
  counts_.gate = !gate_ ? (options_.gate ? "off: a CUDA tool is attached (CUDA_INJECTION64_PATH)" : "off: --no-gate")
                 : gate_->enabled() ? "on"
                                    : "off from a point on: " + gate_->why();
  if (start_ceilings_ > 0) counts_.roofs_start_at = start_ceilings_at_sum_ / start_ceilings_;
  if (end_ceilings_ > 0) counts_.roofs_end_at = end_ceilings_at_sum_ / end_ceilings_;
  if (start_ceilings_ > 0 && end_ceilings_ > 0 && !counts_.interrupted && !counts_.device_failed) rejudge();
  return counts_;
}

void SweepRunner::rejudge() {
  const std::string path = rows_.path(), rewritten = folder_ + "/.roofline.csv.rejudged";
  const SweepCounts before = counts_;
  counts_.ok = counts_.invalid = counts_.skipped = counts_.error = 0;
  try {
    std::filesystem::remove(rewritten);
    {
      roofline::CsvWriter out(rewritten, roofline::csv_header());
      for (const Written& w : written_) {
        roofline::PointRow row = w.row;
        if (w.judge) {
          judge_row(row,
                    interpolate_roofs(counts_.roofs_start, counts_.roofs_start_at, counts_.roofs_end,
                                      counts_.roofs_end_at, row.measured_at_s.value_or(0)),
                    spec_, options_.l2 == L2Mode::kWarm);
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

#include "bench/app/measured_run.hpp"

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "bench/app/device_kind.hpp"
#include "bench/app/env_record.hpp"
#include "bench/app/errors.hpp"
#include "bench/app/plot.hpp"
#include "bench/app/run_folder.hpp"
#include "bench/gpu/device.hpp"
#include "bench/gpu/device_info.hpp"
#include "bench/sweep/ceilings.hpp"
#include "bench/sweep/gbench_adapter.hpp"
#include "bench/sweep/sweep_runner.hpp"

namespace bench {
namespace {

extern "C" void on_signal(int) { stop_requested() = true; }

// Runs bench_llama once per GPU, each in its own process (its own CUDA context: a fault on one GPU cannot take the
// others down), with the same arguments and --gpu N. Returns the worst exit code.
int measure_each_gpu(const std::vector<int>& devices, const char* argv0, const std::vector<std::string>& args) {
  int worst = kExitOk;
  for (int device : devices) {
    std::vector<std::string> child = {argv0};
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--gpu") {
        ++i;  // drop "--gpu all"; each child gets its own --gpu N
      } else if (args[i].rfind("--gpu=", 0) != 0) {
        child.push_back(args[i]);
      }
    }
    child.push_back("--gpu");
    child.push_back(std::to_string(device));
    spdlog::info("GPU {} of {}: {}", device + 1, devices.size(), child.front());
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : child) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      _exit(kExitInternal);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) throw std::runtime_error("cannot start a process per GPU");
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitInternal;
    if (code != kExitOk && worst == kExitOk) worst = code;
    if (stop_requested()) break;
  }
  return worst;
}

}  // namespace

nlohmann::json sweep_json(const Options& o, const roofline::ModelConfig& model, const roofline::Plan& plan) {
  nlohmann::json j;
  j["model"] = model_json(model);
  std::vector<std::string> phases, ops, dtypes;
  for (auto p : o.sweep.phases) phases.emplace_back(roofline::phase_name(p));
  for (auto op : o.sweep.ops) ops.emplace_back(roofline::op_info(op).name);
  for (auto d : o.sweep.dtypes) dtypes.emplace_back(roofline::dtype_name(d));
  j["phases"] = phases;
  j["ops"] = ops;
  j["dtypes"] = dtypes;
  j["batches"] = o.sweep.batches;
  j["seq_lens"] = o.sweep.seq_lens;
  if (std::find(o.sweep.phases.begin(), o.sweep.phases.end(), roofline::Phase::kMedusa) != o.sweep.phases.end()) {
    j["candidates"] = o.sweep.candidates;
  }
  j["impls"] = o.impls;
  // null: every variant of the table was allowed; a list (possibly empty): only those (--allow-variants).
  j["allowed_variants"] = o.allowed_variants ? nlohmann::json(*o.allowed_variants) : nlohmann::json(nullptr);
  j["points"] = plan.points.size();
  j["distinct_problems"] = plan.measurements.size();
  const StopRule rule;
  j["repetitions"] = o.repetitions ? nlohmann::json(*o.repetitions) : nlohmann::json("until the median is known");
  j["stop_rule"] = o.repetitions ? nlohmann::json{{"fixed", *o.repetitions}}
                                 : nlohmann::json{{"min_samples", rule.min_samples},
                                                  {"max_samples", rule.max_samples},
                                                  {"max_ci_rel", rule.max_ci_rel},
                                                  {"max_seconds", rule.max_seconds}};
  j["short_kernel_us"] = kShortKernelSeconds * 1e6;
  const StopRule ceilings = ceiling_stop_rule();
  j["ceiling_stop_rule"] = {{"min_samples", ceilings.min_samples},
                            {"max_samples", ceilings.max_samples},
                            {"max_ci_rel", ceilings.max_ci_rel},
                            {"max_seconds", ceilings.max_seconds}};
  j["benchmark_args"] = o.benchmark_args;
  return j;
}

namespace {

// bench_llama_emulated's times are made up: its runs never go under results/, and it has no counters to read.
void refuse_what_the_emulator_cannot_do(const Options& options) {
  if (!kEmulatedDevice) return;
  if (!options.out.empty() && under_results(options.out)) {
    throw UsageError("--out " + options.out +
                     ": bench_llama_emulated's runs are not measurements and never go under results/; leave --out "
                     "out (they go to emulated/<device>/<date>_<commit>/) or choose a folder outside results/");
  }
  if (options.counters) {
    throw UsageError("--counters reads a GPU's hardware counters, which the emulator does not have; leave it out");
  }
}

DeviceInfo open_device(int index, const Nvml& nvml) {
  try {
    return query_device(index, nvml);
  } catch (const CudaError& e) {
    throw DeviceError(std::string("GPU ") + std::to_string(index) + " is not usable: " + e.what());
  }
}

// env.json as it is before the sweep (rewritten with the outcome after it), and the same record in gbench.json's
// context.
nlohmann::json env_before_sweep(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                                const roofline::RunInfo& run, const DeviceInfo& device, const Nvml& nvml,
                                const roofline::MachineSpec* spec) {
  nlohmann::json env = run_info_json(run);
  env["mode"] = "measure";
  env["device_kind"] = device_kind();
  env["emulated"] = kEmulatedDevice;  // an emulated run's times are made up: never a measurement
  env["device"] = device_json(device);
  env["sweep"] = sweep_json(options, model, plan);
  env["nvml"] = nvml.available() ? "loaded" : nvml.why();
  env["counters_requested"] = options.counters;
  if (spec) env["spec_source"] = spec->source;
  for (const auto& [key, value] :
       std::vector<std::pair<const char*, std::string>>{{"bench_llama_run_id", run.run_id},
                                                        {"gpu_name", run.gpu_name},
                                                        {"gpu_uuid", run.gpu_uuid},
                                                        {"compute_capability", run.cc},
                                                        {"driver_version", run.driver_version},
                                                        {"cuda_runtime_version", run.cuda_runtime_version},
                                                        {"cuda_driver_version", run.cuda_driver_version},
                                                        {"cublas_version", run.cublas_version},
                                                        {"git_commit", run.git_commit},
                                                        {"build_archs", run.build_archs},
                                                        {"l2_mode", run.l2_mode},
                                                        {"spec", run.spec},
                                                        {"device_kind", run.device_kind},
                                                        {"model", model.name}}) {
    add_benchmark_context(key, value);
  }
  return env;
}

// What the sweep found: its rows, the device at the end, both passes' roofs, and how it ended.
void add_sweep_outcome(nlohmann::json& env, const SweepCounts& counts, double wall, const Nvml& nvml,
                       const DeviceInfo& device) {
  env["wall_seconds"] = wall;
  env["rows"] = {{"ok", counts.ok}, {"invalid", counts.invalid}, {"skipped", counts.skipped}, {"error", counts.error}};
  const Telemetry at_end = nvml.read(device.nvml_device);
  env["device"]["sm_clock_mhz_at_end"] = at_end.sm_clock_mhz ? nlohmann::json(*at_end.sm_clock_mhz) : nullptr;
  env["device"]["temperature_c_at_end"] = at_end.temperature_c ? nlohmann::json(*at_end.temperature_c) : nullptr;
  const auto roofs_json = [](const roofline::MeasuredRoofs& r, double at) {
    const auto value = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    return nlohmann::json{{"fp16_tflops", value(r.fp16_tflops)},
                          {"bf16_tflops", value(r.bf16_tflops)},
                          {"gbps", value(r.gbps)},
                          {"measured_at_s", at}};
  };
  env["roofs"] = {{"start", roofs_json(counts.roofs_start, counts.roofs_start_at)},
                  {"end", roofs_json(counts.roofs_end, counts.roofs_end_at)},
                  {"points_judged_against", counts.rejudged ? "both passes, interpolated in time" : "the start pass"}};
  env["cublas_workspace_bytes"] = kCublasWorkspaceBytes;
  env["stream_gate"] = counts.gate;
  env["interrupted"] = counts.interrupted;
  env["device_failed"] = counts.device_failed;
}

int exit_code(const SweepCounts& counts, const DeviceInfo& device, const std::string& folder) {
  if (counts.device_failed) {
    spdlog::error(
        "a CUDA fault left GPU {} unusable; the sweep stopped there. Every row measured before it is in "
        "{}/roofline.csv",
        device.index, folder);
    return kExitDevice;
  }
  if (counts.interrupted) {
    spdlog::warn("interrupted: the rows finished before the signal are in {}/roofline.csv", folder);
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace

int run_measure(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                const char* argv0, const std::vector<std::string>& args) {
  refuse_what_the_emulator_cannot_do(options);
  const std::vector<int> devices = selected_devices(options.all_gpus, options.gpu);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (options.all_gpus) {
    if (!options.out.empty()) {
      throw UsageError(
          std::string("--out names one folder, but --gpu all writes one per GPU; leave --out out (each GPU gets ") +
          results_root() + "/<gpu>/<date>_<commit>/)");
    }
    return measure_each_gpu(devices, argv0, args);
  }
  initialize_benchmark_flags(argv0, options.benchmark_args);

  Nvml nvml;
  if (!nvml.available()) spdlog::warn("NVML unavailable ({}): clocks and throttling will not be recorded", nvml.why());
  const DeviceInfo device = open_device(devices.front(), nvml);
  const roofline::MachineSpec* spec = roofline::find_machine_spec(options.spec.empty() ? device.name : options.spec);
  if (!spec) {
    spdlog::warn(
        "no datasheet entry for \"{}\": points are judged against the measured roofs only (name one with "
        "--spec; --spec list shows them)",
        device.name);
  }
  roofline::RunInfo run = host_run_info();
  apply_device(device, run);
  run.l2_mode = l2_mode_name(options.l2);
  run.spec = spec ? spec->short_name : "";
  run.device_kind = device_kind();

  const std::string folder = options.out.empty()
                                 ? default_run_folder(results_root(), spec ? spec->short_name : slug(device.name),
                                                      run_date(run), run.git_commit)
                                 : options.out;
  prepare_run_folder(folder);
  spdlog::info("writing the result folder: {}", folder);  // said first, so a run cut short still names it
  nlohmann::json env = env_before_sweep(options, model, plan, run, device, nvml, spec);
  write_env_json(folder, env);

  const double started = static_cast<double>(std::time(nullptr));
  const SweepCounts counts = run_sweep(options, model, plan, device, nvml, spec, run, folder);
  const double wall = static_cast<double>(std::time(nullptr)) - started;
  add_sweep_outcome(env, counts, wall, nvml, device);
  write_env_json(folder, env);
  if (options.plot) draw_plot(folder);

  spdlog::info("done in {:.0f} s: {} ok, {} skipped, {} invalid, {} error rows; result folder: {}", wall, counts.ok,
               counts.skipped, counts.invalid, counts.error, folder);
  return exit_code(counts, device, folder);
}

}  // namespace bench

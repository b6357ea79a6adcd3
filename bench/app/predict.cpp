#include "bench/app/predict.hpp"

#include <spdlog/spdlog.h>

#include <iomanip>

#include "bench/app/env_record.hpp"
#include "bench/app/plot.hpp"
#include "bench/app/run_folder.hpp"
#include "bench/sweep/variant_list.hpp"
#include "roofline/csv.hpp"

namespace bench {

std::string run_predict(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan) {
  const roofline::MachineSpec& spec = *roofline::find_machine_spec(options.spec);
  roofline::RunInfo run = host_run_info();
  run.gpu_name = spec.driver_names.front();
  run.cc = std::to_string(spec.sm_major) + "." + std::to_string(spec.sm_minor);
  run.sm_count = spec.sm_count;
  run.spec = spec.short_name;
  run.l2_mode = "";

  const std::string folder = options.out.empty()
                                 ? default_run_folder("predicted", spec.short_name, run_date(run), run.git_commit)
                                 : options.out;
  prepare_run_folder(folder);

  nlohmann::json env = run_info_json(run);
  env["mode"] = "predict";
  env["spec"] = {{"name", spec.short_name},
                 {"gpu_name", spec.driver_names.front()},
                 {"dram_gbps", spec.dram_gbps},
                 {"fp16_tflops", spec.fp16_tflops},
                 {"bf16_tflops", spec.bf16_tflops},
                 {"sm_count", spec.sm_count},
                 {"source", spec.source}};
  env["model"] = model_json(model);
  env["allowed_variants"] =
      options.allowed_variants ? nlohmann::json(*options.allowed_variants) : nlohmann::json(nullptr);
  env["points"] = plan.points.size();
  write_env_json(folder, env);

  roofline::CsvWriter csv(folder + "/roofline.csv", roofline::csv_header());
  const std::vector<std::string>* allowed = options.allowed_variants ? &*options.allowed_variants : nullptr;
  for (const auto& point : plan.points)
    csv.write_row(roofline::csv_cells(roofline::predicted_row(model, point, spec, run, allowed)));
  spdlog::info("predicted {} points of {} on {} (datasheet: {} TFLOP/s fp16, {} GB/s; ridge {:.1f} FLOP/B)",
               plan.points.size(), model.name, spec.short_name, spec.fp16_tflops, spec.dram_gbps,
               roofline::ridge_point(spec.roof(roofline::Dtype::kF16)));
  if (options.plot) draw_plot(folder);
  spdlog::info("result folder: {}", folder);
  return folder;
}

void print_plan(std::ostream& out, const roofline::ModelConfig& model, const roofline::Plan& plan) {
  out << "# " << plan.points.size() << " points of " << model.name << ", " << plan.measurements.size()
      << " distinct measurements (points with the same measurement id are timed once)\n";
  out << std::left << std::setw(10) << "op" << std::setw(7) << "phase" << std::setw(6) << "b" << std::setw(7) << "s"
      << std::setw(5) << "q" << std::setw(6) << "dtype" << std::setw(22) << "M x N x K" << std::setw(8) << "batch"
      << std::setw(14) << "GFLOP" << std::setw(12) << "MB min" << std::setw(12) << "FLOP/B"
      << "measurement\n";
  for (const auto& p : plan.points) {
    const std::string shape =
        std::to_string(p.problem.m) + "x" + std::to_string(p.problem.n) + "x" + std::to_string(p.problem.k);
    const std::int64_t q = roofline::decode_tokens(p.setting);  // 0 for init: no candidates
    out << std::left << std::setw(10) << roofline::op_info(p.op).name << std::setw(7)
        << roofline::phase_name(p.setting.phase) << std::setw(6) << p.setting.batch << std::setw(7) << p.setting.seq_len
        << std::setw(5) << (q > 0 ? std::to_string(q) : std::string("-")) << std::setw(6)
        << roofline::dtype_name(p.dtype) << std::setw(22) << shape << std::setw(8) << p.problem.batch_count()
        << std::setw(14) << std::fixed << std::setprecision(3) << static_cast<double>(p.cost.flops) / 1e9
        << std::setw(12) << std::setprecision(2) << static_cast<double>(p.cost.bytes_min) / 1e6 << std::setw(12)
        << std::setprecision(2) << p.cost.intensity() << p.measurement << '\n';
  }
}

void print_variants(std::ostream& out, const AllowedVariants& allowed) {
  out << "# hand picks the allowed variant of lowest rank that supports and suits a problem (the ranks and where they\n"
         "# come from: kernels/variants.cu); max_sm -: none\n";
  out << std::left << std::setw(34) << "variant" << std::setw(8) << "min_sm" << std::setw(8) << "max_sm" << std::setw(9)
      << "allowed"
      << "rank\n";
  const std::vector<VariantEntry> list = variant_list();
  if (list.empty()) {
    out << "# none: this bench_llama was built without the CUDA Toolkit, so it has no kernels; build it where the CUDA "
           "Toolkit is installed (tools/build.sh) to see and run them\n";
  }
  for (const auto& v : list) {
    out << std::left << std::setw(34) << v.name << std::setw(8) << v.min_sm << std::setw(8)
        << (v.max_sm == 0 ? std::string("-") : std::to_string(v.max_sm)) << std::setw(9)
        << (variant_allowed(allowed, v.name) ? "yes" : "no") << v.rank << '\n';
  }
}

void print_specs(std::ostream& out) {
  out << std::left << std::setw(16) << "spec" << std::setw(26) << "driver name" << std::setw(6) << "sm" << std::setw(8)
      << "GB/s" << std::setw(10) << "fp16 TF" << std::setw(10) << "bf16 TF" << std::setw(6) << "SMs" << std::setw(9)
      << "L2 MiB"
      << "source\n";
  for (const auto& s : roofline::machine_specs()) {
    out << std::left << std::setw(16) << s.short_name << std::setw(26) << s.driver_names.front() << std::setw(6)
        << (std::to_string(s.sm_major) + std::to_string(s.sm_minor)) << std::setw(8) << s.dram_gbps << std::setw(10)
        << s.fp16_tflops << std::setw(10) << s.bf16_tflops << std::setw(6) << s.sm_count << std::setw(9)
        << (s.l2_mib > 0 ? std::to_string(static_cast<int>(s.l2_mib)) : std::string("-")) << s.source << '\n';
  }
}

}  // namespace bench

#include "roofline/plan.hpp"

#include <map>

#include "roofline/judge.hpp"
#include "roofline/kernel_model.hpp"
#include "roofline/roofline_math.hpp"

namespace roofline {

Plan make_plan(const ModelConfig& model, const SweepSpec& sweep) {
  Plan plan;
  std::map<std::string, std::size_t> index_of_key;
  for (Dtype dtype : sweep.dtypes) {
    for (const Setting& setting : settings_of(sweep)) {
      for (Op op : sweep.ops) {
        GemmProblem problem = make_problem(model, op, setting, dtype);
        auto [it, inserted] = index_of_key.emplace(problem.key(), plan.measurements.size());
        if (inserted) plan.measurements.push_back(problem);
        plan.points.push_back(PlannedPoint{op, setting, dtype, problem, cost_of(problem), it->second});
      }
    }
  }
  return plan;
}

PointRow shape_row(const ModelConfig& model, const PlannedPoint& point) {
  PointRow row;
  const OpInfo& info = op_info(point.op);
  row.model = model.name;
  row.series = info.series;
  row.op = info.name;
  row.phase = phase_name(point.setting.phase);
  row.dtype = dtype_name(point.dtype);
  row.batch = point.setting.batch;
  row.seq_len = point.setting.seq_len;
  if (point.setting.phase != Phase::kInit) row.candidates = decode_tokens(point.setting);
  row.m = point.problem.m;
  row.n = point.problem.n;
  row.k = point.problem.k;
  row.batch_count = point.problem.batch_count();
  row.flops = point.cost.flops;
  row.bytes_min = point.cost.bytes_min;
  row.intensity = point.cost.intensity();
  row.buffer_bytes = buffer_bytes(point.problem);
  return row;
}

PointRow predicted_row(const ModelConfig& model, const PlannedPoint& point, const MachineSpec& spec, const RunInfo& run,
                       const std::vector<std::string>* allowed_variants) {
  PointRow row = shape_row(model, point);
  row.run = run;
  row.impl = "roofline";
  const double intensity = point.cost.intensity();
  const double attainable_flops = attainable(spec.roof(point.dtype), intensity);
  row.peak_tflops_datasheet = spec.peak_tflops(point.dtype);
  row.peak_gbps_datasheet = spec.dram_gbps;
  row.achieved_tflops = attainable_flops / 1e12;  // on the roof: what the roofline predicts
  row.achieved_gbps = attainable_flops / intensity / 1e9;
  row.status = kStatusPredicted;
  judge_row(row, MeasuredRoofs{}, &spec, /*warm_l2=*/false);  // against the datasheet's roof: a fraction of 1
  const double needed_gib = static_cast<double>(*row.buffer_bytes) / (1024.0 * 1024.0 * 1024.0);
  if (needed_gib > spec.memory_gib) {
    row.reason = "would not fit: its buffers need " + std::to_string(static_cast<long long>(needed_gib + 0.5)) +
                 " GiB, the " + spec.short_name + " has " + std::to_string(static_cast<int>(spec.memory_gib)) +
                 " GiB; a measured run reports it as skipped";
  }
  // Beside the bound, where hand's kernel should land (roofline/kernel_model.hpp).
  const Prediction predicted = predict_hand(point.problem, gpu_target(spec, point.dtype), {}, allowed_variants);
  row.variant = predicted.variant;
  if (predicted.modeled) {
    row.time_us_predicted = predicted.time_s * 1e6;
    row.achieved_tflops_predicted = static_cast<double>(point.cost.flops) / predicted.time_s / 1e12;
    row.dram_bytes_predicted = predicted.plan.dram_bytes;
    row.l2_bytes_predicted = static_cast<double>(predicted.plan.load_sector_bytes + predicted.plan.store_sector_bytes);
    row.wave_efficiency = predicted.plan.wave_efficiency;
    row.bound_predicted = predicted.bound;
  } else {
    row.reason += (row.reason.empty() ? "" : "; ") + std::string("no predicted achieved point: ") + predicted.reason;
  }
  return row;
}

}  // namespace roofline

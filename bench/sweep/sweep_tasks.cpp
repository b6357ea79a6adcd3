#include "bench/sweep/sweep_tasks.hpp"

#include "bench/point/problem_args.hpp"
#include "bench/sweep/benchmark_plan.hpp"
#include "bench/sweep/variants.hpp"

namespace bench {
namespace {

std::vector<SweepTask> ceiling_tasks(const std::vector<Ceiling>& ceilings, const std::string& pass) {
  std::vector<SweepTask> tasks;
  for (const Ceiling& c : ceilings) {
    SweepTask task;
    task.kind = SweepTask::Kind::kCeiling;
    task.name = "ceiling/" + c.name + (pass == "end" ? "/end" : "");
    task.impl = c.impl;
    task.ceiling = c;
    task.pass = pass;
    task.rule = ceiling_stop_rule();
    tasks.push_back(std::move(task));
  }
  return tasks;
}

// Why a point cannot run on this device with this implementation, or "" when it can (*variant is then the hand
// kernel that runs it, or null for cuBLAS).
std::string why_not(const roofline::GemmProblem& problem, const std::string& impl, const Options& options,
                    const DeviceInfo& device, std::int64_t flush_bytes, const kernels::GemmVariant** variant) {
  *variant = nullptr;
  if (impl != "cublas") {
    kernels::GemmArgs args = gemm_args(problem);
    args.sm_count = device.sm_count;
    std::string why;
    *variant = choose_variant(args, impl, device.cc_major * 10 + device.cc_minor, &why, options.allowed_variants);
    if (!*variant) return why;
  }
  const std::int64_t needed = roofline::buffer_bytes(problem);
  const std::int64_t output =
      impl == "cublas" ? 0
                       : roofline::dtype_bytes(problem.dtype) * problem.c.buffer_elements(problem.batch, problem.heads);
  const std::int64_t free = device.free_memory_bytes - flush_bytes;
  if (!fits_in_memory(needed, output, free)) {
    return "does not fit: needs " + std::to_string((needed + output) >> 20) + " MiB of device memory and " +
           std::to_string(kMemoryHeadroomBytes >> 20) + " MiB of headroom, " + std::to_string(free >> 20) + " MiB free";
  }
  return "";
}

}  // namespace

bool fits_in_memory(std::int64_t buffer_bytes, std::int64_t output_bytes, std::int64_t free_bytes) {
  return buffer_bytes + output_bytes + kMemoryHeadroomBytes <= free_bytes;
}

std::vector<SweepTask> sweep_tasks(const roofline::Plan& plan, const Options& options, const DeviceInfo& device,
                                   std::int64_t flush_bytes, bool (*selected)(const std::string& name)) {
  // The ceilings first, whatever --benchmark_filter says, so that every point is judged against them; then the points
  // the filter selects; then the ceilings again, on a GPU as warm as the last points found it.
  const std::vector<Ceiling> ceilings = ceilings_for(device, options.sweep.dtypes);
  std::vector<SweepTask> tasks = ceiling_tasks(ceilings, "start");
  for (BenchmarkEntry& entry : benchmark_entries(plan, options.impls)) {
    if (!selected(entry.name)) continue;
    SweepTask task;
    task.impl = entry.impl;
    task.measurement = entry.measurement;
    task.points = std::move(entry.points);
    task.name = std::move(entry.name);
    task.skipped_because =
        why_not(plan.measurements[entry.measurement], entry.impl, options, device, flush_bytes, &task.variant);
    if (task.skipped_because.empty()) {
      task.rule = options.repetitions ? StopRule::fixed(*options.repetitions) : StopRule{};
    } else {
      task.kind = SweepTask::Kind::kSkipped;
    }
    tasks.push_back(std::move(task));
  }
  for (SweepTask& task : ceiling_tasks(ceilings, "end")) tasks.push_back(std::move(task));
  return tasks;
}

}  // namespace bench

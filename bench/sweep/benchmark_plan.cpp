#include "bench/sweep/benchmark_plan.hpp"

#include <algorithm>
#include <map>

namespace bench {
namespace {

// Distinct values in first-seen order.
void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

// One value, or "*" when the measurement stands for several.
std::string one_or_any(const std::vector<std::string>& values) { return values.size() == 1 ? values.front() : "*"; }

}  // namespace

std::string measurement_name(const roofline::Plan& plan, std::size_t mi, const std::vector<std::size_t>& points) {
  std::vector<std::string> ops, phases, batches, seqs, candidates;
  for (std::size_t pi : points) {
    const roofline::PlannedPoint& p = plan.points[pi];
    add_unique(ops, roofline::op_info(p.op).name);
    add_unique(phases, roofline::phase_name(p.setting.phase));
    add_unique(batches, std::to_string(p.setting.batch));
    add_unique(seqs, std::to_string(p.setting.seq_len));
    if (p.setting.phase == roofline::Phase::kMedusa) add_unique(candidates, std::to_string(p.setting.candidates));
  }
  const roofline::GemmProblem& problem = plan.measurements[mi];
  std::string shape = std::to_string(problem.m) + "x" + std::to_string(problem.n) + "x" + std::to_string(problem.k);
  if (problem.batch_count() > 1) shape += "x" + std::to_string(problem.batch_count());
  const std::string q = candidates.empty() ? "" : "/q" + one_or_any(candidates);  // Medusa: candidates per sequence
  return join(ops, "+") + "/" + join(phases, "+") + "/b" + one_or_any(batches) + "/s" + one_or_any(seqs) + q + "/" +
         shape + "/" + roofline::dtype_name(problem.dtype);
}

std::vector<BenchmarkEntry> benchmark_entries(const roofline::Plan& plan, const std::vector<std::string>& impls) {
  std::vector<std::vector<std::size_t>> points_of(plan.measurements.size());
  for (std::size_t i = 0; i < plan.points.size(); ++i) points_of.at(plan.points[i].measurement).push_back(i);
  std::vector<std::string> bases(plan.measurements.size());
  std::map<std::string, int> uses;
  for (std::size_t mi = 0; mi < plan.measurements.size(); ++mi) {
    bases[mi] = measurement_name(plan, mi, points_of[mi]);
    ++uses[bases[mi]];
  }
  std::vector<BenchmarkEntry> entries;
  for (std::size_t mi = 0; mi < plan.measurements.size(); ++mi) {
    if (points_of[mi].empty()) continue;  // a measurement no point uses: nothing to report
    const std::string base = uses[bases[mi]] > 1 ? bases[mi] + "~" + std::to_string(mi) : bases[mi];
    for (const std::string& impl : impls) entries.push_back(BenchmarkEntry{base + "/" + impl, impl, mi, points_of[mi]});
  }
  return entries;
}

}  // namespace bench

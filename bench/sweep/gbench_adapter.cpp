#include "bench/sweep/gbench_adapter.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <stdexcept>

#include "bench/app/cli.hpp"
#include "bench/timing/stats.hpp"

namespace bench {
namespace {

// The JSON report, closed once whether the run ends normally or on an exception.
class JsonReport : public benchmark::BenchmarkReporter {
 public:
  explicit JsonReport(std::ostream& out) {
    json_.SetOutputStream(&out);
    json_.SetErrorStream(&out);
  }
  bool ReportContext(const Context& context) override { return json_.ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override { json_.ReportRuns(runs); }
  void Finalize() override {
    if (!finalized_) json_.Finalize();
    finalized_ = true;
  }

 private:
  benchmark::JSONReporter json_;
  bool finalized_ = false;
};

// The State of one finished benchmark: skipped with the reason, or one iteration of the median time, with the sample
// count, the median's interval and, for a point, its rates as counters.
void report(benchmark::State& state, const Measurement& m, const std::optional<roofline::Cost>& cost) {
  if (m.status != roofline::kStatusOk) {
    state.SkipWithError(m.reason.c_str());
    return;
  }
  const double median = summarize(m.samples_s).median;
  for (auto _ : state) state.SetIterationTime(median);
  state.counters["samples"] = static_cast<double>(m.samples_s.size());
  state.counters["launches_per_sample"] = m.launches_per_sample;
  if (const double ci = median_ci_rel(m.samples_s); std::isfinite(ci)) state.counters["median_ci_rel"] = ci;
  if (cost) {
    state.counters["FLOP/s"] =
        benchmark::Counter(static_cast<double>(cost->flops), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["B/s"] =
        benchmark::Counter(static_cast<double>(cost->bytes_min), benchmark::Counter::kIsIterationInvariantRate);
  }
}

}  // namespace

void initialize_benchmark_flags(const char* argv0, const std::vector<std::string>& flags) {
  std::vector<std::string> storage = {argv0};
  storage.insert(storage.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) {
    throw UsageError(std::string("unknown Google Benchmark flag \"") + argv[1] +
                     "\"; see bench_llama --help for the --benchmark_* flags");
  }
}

void add_benchmark_context(const std::string& key, const std::string& value) {
  benchmark::AddCustomContext(key, value);
}

bool selected_by_filter(const std::string& name) {
  std::string filter = benchmark::GetBenchmarkFilter();
  if (filter.empty() || filter == "." || filter == "all") return true;
  const bool negate = filter.front() == '-';
  if (negate) filter.erase(0, 1);
  return std::regex_search(name, std::regex(filter)) != negate;
}

void run_benchmarks(std::vector<Benchmark>& benchmarks, const std::string& json_path) {
  std::set<std::string> names;
  for (const Benchmark& b : benchmarks) {
    if (!names.insert(b.name).second) {
      throw std::logic_error("two benchmarks named \"" + b.name + "\": benchmark names must be unique");
    }
  }
  std::ofstream json(json_path);
  JsonReport reporter(json);
  try {
    for (Benchmark& b : benchmarks) {
      Benchmark* p = &b;
      benchmark::RegisterBenchmark(p->name.c_str(),
                                   [p](benchmark::State& state) {
                                     const Measurement m = p->run();
                                     report(state, m, p->cost);
                                     p->finished(m);
                                   })
          ->UseManualTime()
          ->Iterations(1)  // bench_llama takes the samples itself
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RunSpecifiedBenchmarks(&reporter, ".");  // the filter was applied when the benchmarks were chosen
  } catch (...) {  // registered lambdas point into `benchmarks`: none may outlive this call
    reporter.Finalize();
    benchmark::ClearRegisteredBenchmarks();
    throw;
  }
  reporter.Finalize();
  benchmark::ClearRegisteredBenchmarks();
}

}  // namespace bench

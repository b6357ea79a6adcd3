// Google Benchmark behind one file: the only one that sees benchmark::State and its reporter. Each benchmark is
// registered with what runs it and what receives its result; bench_llama takes the samples itself, so Google
// Benchmark runs one iteration per benchmark, reported as the median, and writes gbench.json.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/rows/measurement.hpp"
#include "roofline/operators.hpp"

namespace bench {

struct Benchmark {
  std::string name;                                  // unique: a second benchmark of the same name is a logic error
  std::optional<roofline::Cost> cost;                // a point's work, reported as FLOP/s and B/s counters
  std::function<Measurement()> run;                  // measures; never throws (failures are a Measurement's status)
  std::function<void(const Measurement&)> finished;  // receives the result; never throws
};

// Hands Google Benchmark bench_llama's argv[0] and the --benchmark_* flags; an unknown one is a UsageError.
void initialize_benchmark_flags(const char* argv0, const std::vector<std::string>& flags);
// A key and value of the JSON report's context.
void add_benchmark_context(const std::string& key, const std::string& value);

// Google Benchmark's --benchmark_filter, as it selects benchmarks: a regex searched in the name, a leading '-'
// negating it.
bool selected_by_filter(const std::string& name);

// Runs the benchmarks in order, writing Google Benchmark's JSON report to `json_path`. A Measurement whose status is
// not ok is reported as skipped with its reason.
void run_benchmarks(std::vector<Benchmark>& benchmarks, const std::string& json_path);

}  // namespace bench

#include "bench/app/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "bench/sweep/variant_list.hpp"
#include "roofline/machine_spec.hpp"
#include "roofline/model_config.hpp"

namespace bench {
namespace {

constexpr std::int64_t kMaxBatch = 4096;
constexpr std::int64_t kMaxSeqLen = std::int64_t{1} << 20;
constexpr std::int64_t kMaxCandidates = 4096;

std::vector<std::string> split_list(const std::string& flag, const std::string& value) {
  if (value.empty()) throw UsageError(flag + " needs a value; e.g. " + flag + " 1,2,4");
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = value.find(',', start);
    std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) {
      throw UsageError(flag + ": empty item in \"" + value + "\"; separate items with single commas, e.g. " + flag +
                       " 1,2,4");
    }
    items.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::set<std::string> seen;
  for (const auto& item : items) {
    if (!seen.insert(item).second) throw UsageError(flag + ": \"" + item + "\" appears twice; list it once");
  }
  return items;
}

// A whole number in [min, max], written as plain digits (no sign, no spaces, no exponent).
std::int64_t parse_int(const std::string& flag, const std::string& text, std::int64_t min, std::int64_t max) {
  const bool digits =
      !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    throw UsageError(flag + ": \"" + text + "\" is not a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  const std::size_t first = text.find_first_not_of('0');
  if (first != std::string::npos && text.size() - first > 12) {
    throw UsageError(flag + ": " + text + " is too large; the most is " + std::to_string(max));
  }
  const std::int64_t value = std::stoll(text);
  if (value < min) throw UsageError(flag + ": " + text + " must be at least " + std::to_string(min));
  if (value > max) throw UsageError(flag + ": " + text + " is too large; the most is " + std::to_string(max));
  return value;
}

std::vector<std::int64_t> parse_int_list(const std::string& flag, const std::string& value, std::int64_t max) {
  std::vector<std::int64_t> out;
  for (const auto& item : split_list(flag, value)) out.push_back(parse_int(flag, item, 1, max));
  return out;
}

template <class T, class Parse>
std::vector<T> parse_names(const std::string& flag, const std::string& value, Parse parse, const std::string& valid) {
  std::vector<T> out;
  for (const auto& item : split_list(flag, value)) {
    T parsed{};
    if (!parse(item, &parsed)) throw UsageError(flag + ": unknown \"" + item + "\"; use " + valid);
    out.push_back(parsed);
  }
  return out;
}

const std::set<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};

// Google Benchmark's own flags that keep their meaning under bench_llama (benchmark::Initialize parses them).
const std::set<std::string> kBenchmarkFlags = {"benchmark_filter", "benchmark_out", "benchmark_out_format",
                                               "benchmark_context"};

// Flags of Google Benchmark that bench_llama cannot honour, and what to do instead.
const std::vector<std::pair<std::string, std::string>> kRefusedBenchmarkFlags = {
    {"benchmark_enable_random_interleaving",
     "bench_llama measures the ceilings first, so that every point is judged against this run's roofs; leave it out"},
    {"benchmark_list_tests", "use bench_llama --list, which prints every planned point without running anything"},
    {"benchmark_min_time",
     "bench_llama takes samples until each point's median is known (docs/measuring.md); --repetitions N fixes the "
     "count"},
    {"benchmark_min_warmup_time",
     "bench_llama warms every point up itself (at least 3 launches and 10 ms of wall time, docs/measuring.md)"},
    {"benchmark_format", "bench_llama prints its own progress lines and writes gbench.json; leave it out"},
    {"benchmark_color", "bench_llama prints its own progress lines; leave it out"},
    {"benchmark_counters_tabular", "bench_llama prints its own progress lines; leave it out"},
    {"benchmark_report_aggregates_only", "bench_llama keeps every sample (samples.csv); leave it out"},
    {"benchmark_display_aggregates_only", "bench_llama keeps every sample (samples.csv); leave it out"},
    {"benchmark_time_unit", "bench_llama reports microseconds; leave it out"},
    {"benchmark_perf_counters", "CPU counters say nothing about a GPU kernel; use --counters for the GPU's"},
};

}  // namespace

const char* l2_mode_name(L2Mode mode) { return mode == L2Mode::kCold ? "cold" : "warm"; }

std::vector<std::string> known_impls() {
  std::vector<std::string> names = {"hand", "cublas"};
  for (const auto& variant : variant_list()) names.push_back(variant.name);
  return names;
}

namespace {

// One flag as the command line is read: its name, and its value (after '=' or as the next argument) when it takes one.
class Flag {
 public:
  Flag(const std::vector<std::string>& args, std::size_t& i) : args_(args), i_(i), name_(args[i]) {
    if (const std::size_t eq = name_.find('='); name_.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value_ = name_.substr(eq + 1);
      name_ = name_.substr(0, eq);
    }
  }
  bool is(const char* name) const { return name_ == name; }
  std::string value() {
    if (inline_value_) return *inline_value_;
    if (i_ + 1 >= args_.size() || args_[i_ + 1].rfind("--", 0) == 0) {
      throw UsageError(name_ + " needs a value; see bench_llama --help");
    }
    return args_[++i_];
  }
  // A switch: true, once it is checked that no value was written with it.
  bool on() const {
    if (inline_value_) throw UsageError(name_ + " takes no value; write it alone");
    return true;
  }

 private:
  const std::vector<std::string>& args_;
  std::size_t& i_;
  std::string name_;
  std::optional<std::string> inline_value_;
};

// The grid flags, kept as written until every flag is read: --quick sets a grid that --batch and --seq then replace,
// and --candidates needs the phases.
struct GridFlags {
  std::optional<std::string> batch, seq, candidates;
};

// A --benchmark_* flag: its repetitions become bench_llama's, the others it honours are checked and passed to Google
// Benchmark, and the rest are refused with what to do instead.
void benchmark_flag(const std::string& arg, Options& o) {
  if (arg.rfind("--benchmark_repetitions=", 0) == 0) {  // bench_llama's repetitions are its samples: --repetitions
    o.repetitions = static_cast<int>(parse_int("--benchmark_repetitions", arg.substr(24), 1, 10000));
    return;
  }
  if (arg.rfind("--benchmark_filter=", 0) == 0) {
    const std::string filter = arg.substr(19);
    try {
      std::regex check(filter.rfind('-', 0) == 0 ? filter.substr(1) : filter);
    } catch (const std::regex_error& e) {
      throw UsageError("--benchmark_filter: \"" + filter + "\" is not a valid regular expression (" + e.what() +
                       "); e.g. --benchmark_filter='q_proj/init'");
    }
  }
  const std::size_t eq = arg.find('=');
  const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
  for (const auto& [refused, instead] : kRefusedBenchmarkFlags) {
    if (name == refused) throw UsageError("--" + refused + " is not supported: " + instead);
  }
  if (name == "benchmark_out") {  // Google Benchmark would exit(1) mid-run on a file it cannot open
    const std::string file = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (file.empty()) throw UsageError("--benchmark_out needs a file, e.g. --benchmark_out=gb.json");
    std::error_code ec;
    const bool existed = std::filesystem::exists(file, ec);
    std::FILE* probe = std::fopen(file.c_str(), "a");
    if (!probe) throw UsageError("--benchmark_out=" + file + " cannot be written; choose a writable file");
    std::fclose(probe);
    if (!existed) std::filesystem::remove(file, ec);  // a probe leaves nothing behind
  }
  if (kBenchmarkFlags.count(name) == 0) {
    throw UsageError("unknown Google Benchmark flag \"" + arg +
                     "\"; see bench_llama --help for the --benchmark_* flags");
  }
  o.benchmark_args.push_back(arg);
}

// What the run does: print something, predict, or measure (and how much it says while it does).
bool mode_flag(Flag& f, Options& o) {
  if (f.is("--help") || f.is("-h")) {
    o.help = f.on();
  } else if (f.is("--schema")) {
    o.schema = f.on();
  } else if (f.is("--list")) {
    o.list = f.on();
  } else if (f.is("--list-variants")) {
    o.list_variants = f.on();
  } else if (f.is("--predict")) {
    o.predict = f.on();
  } else if (f.is("--spec")) {
    o.spec = f.value();
    if (o.spec != "list" && roofline::find_machine_spec(o.spec) == nullptr) {
      throw UsageError("--spec: unknown GPU \"" + o.spec + "\"; use one of " + roofline::machine_spec_names() +
                       " (bench_llama --spec list shows them)");
    }
  } else if (f.is("--log-level")) {
    o.log_level = f.value();
    if (kLogLevels.count(o.log_level) == 0) {
      throw UsageError("--log-level: unknown \"" + o.log_level + "\"; use trace, debug, info, warn, error or off");
    }
  } else if (f.is("--quiet")) {
    f.on();
    o.log_level = "warn";
  } else {
    return false;
  }
  return true;
}

// Which points: the model, phases, operators, dtypes and the grid.
bool sweep_flag(Flag& f, Options& o, GridFlags& grid) {
  if (f.is("--model")) {
    o.model = f.value();
    if (o.model.empty()) throw UsageError("--model needs a built-in name (llama-33b) or a config.json path");
  } else if (f.is("--phase")) {
    const std::string v = f.value();
    o.sweep.phases = v == "all" ? roofline::all_phases()
                                : parse_names<roofline::Phase>("--phase", v, roofline::parse_phase,
                                                               "init, ar, medusa (or all alone)");
  } else if (f.is("--ops")) {
    o.sweep.ops = parse_names<roofline::Op>("--ops", f.value(), roofline::parse_op, roofline::op_names());
  } else if (f.is("--dtype")) {
    o.sweep.dtypes = parse_names<roofline::Dtype>("--dtype", f.value(), roofline::parse_dtype, "fp16, bf16");
  } else if (f.is("--quick")) {
    o.quick = f.on();
  } else if (f.is("--batch")) {
    grid.batch = f.value();
  } else if (f.is("--seq")) {
    grid.seq = f.value();
  } else if (f.is("--candidates")) {
    grid.candidates = f.value();
  } else {
    return false;
  }
  return true;
}

// Who computes the points: hand, cuBLAS or named variants, and which variants `hand` may choose.
bool impl_flag(Flag& f, Options& o) {
  if (f.is("--impl")) {
    o.impls = split_list("--impl", f.value());
    const auto known = known_impls();
    for (const auto& impl : o.impls) {
      if (std::find(known.begin(), known.end(), impl) == known.end()) {
        std::string valid;
        for (const auto& name : known) valid += (valid.empty() ? "" : ", ") + name;
        throw UsageError(
            "--impl: unknown \"" + impl + "\"; use " + valid +
            (variant_list().empty() ? " (this bench_llama was built without CUDA: it has no kernels)" : ""));
      }
    }
  } else if (f.is("--allow-variants")) {
    const std::string v = f.value();
    o.allowed_variants.emplace();
    if (v == "none") return true;
    const auto list = variant_list();
    for (const auto& name : split_list("--allow-variants", v)) {
      if (std::none_of(list.begin(), list.end(), [&](const VariantEntry& variant) { return name == variant.name; })) {
        throw UsageError("--allow-variants: \"" + name +
                         "\" is not a hand-written variant; name variants from bench_llama --list-variants, or "
                         "write none alone");
      }
      o.allowed_variants->push_back(name);
    }
  } else {
    return false;
  }
  return true;
}

// How the points are measured, and where the results go.
bool run_flag(Flag& f, Options& o) {
  if (f.is("--gpu")) {
    const std::string v = f.value();
    if (v == "all") {
      o.all_gpus = true;
      return true;
    }
    try {
      o.gpu = static_cast<int>(parse_int("--gpu", v, 0, 1023));
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + ", or all");
    }
  } else if (f.is("--l2")) {
    const std::string v = f.value();
    if (v != "cold" && v != "warm") {
      throw UsageError("--l2: unknown \"" + v + "\"; use cold (flush L2 before each timed launch) or warm");
    }
    o.l2 = v == "cold" ? L2Mode::kCold : L2Mode::kWarm;
  } else if (f.is("--out")) {
    o.out = f.value();
    if (o.out.empty()) throw UsageError("--out needs a folder path");
  } else if (f.is("--repetitions")) {
    o.repetitions = static_cast<int>(parse_int("--repetitions", f.value(), 1, 10000));
  } else if (f.is("--counters")) {
    o.counters = f.on();
  } else if (f.is("--no-gate")) {
    o.gate = !f.on();
  } else if (f.is("--no-plot")) {
    o.plot = !f.on();
  } else {
    return false;
  }
  return true;
}

// What holds only for the flags together, whatever their order.
void check_together(Options& o, const GridFlags& grid) {
  if (o.allowed_variants) {  // a variant named with --impl must be allowed too
    for (const auto& impl : o.impls) {
      if (impl != "hand" && impl != "cublas" && !variant_allowed(o.allowed_variants, impl)) {
        std::string allowed;
        for (const auto& name : *o.allowed_variants) allowed += (allowed.empty() ? "" : ",") + name;
        throw UsageError("--impl names " + impl + ", which --allow-variants leaves out (allowed: " +
                         (allowed.empty() ? "none" : allowed) + "); add it to --allow-variants or drop it from --impl");
      }
    }
  }
  if (o.quick) {
    const roofline::SweepSpec quick = roofline::quick_sweep();
    o.sweep.batches = quick.batches;
    o.sweep.seq_lens = quick.seq_lens;
    o.sweep.candidates = quick.candidates;
  }
  if (grid.batch) o.sweep.batches = parse_int_list("--batch", *grid.batch, kMaxBatch);
  if (grid.seq) o.sweep.seq_lens = parse_int_list("--seq", *grid.seq, kMaxSeqLen);
  if (grid.candidates) {
    o.sweep.candidates = parse_int_list("--candidates", *grid.candidates, kMaxCandidates);
    const auto& phases = o.sweep.phases;
    if (std::find(phases.begin(), phases.end(), roofline::Phase::kMedusa) == phases.end()) {
      throw UsageError(
          "--candidates sets the medusa phase's candidate tokens, but --phase has no medusa; add medusa to --phase "
          "(e.g. --phase medusa or --phase all) or leave --candidates out");
    }
  }
  if (o.predict && o.spec.empty()) {
    throw UsageError("--predict needs a GPU to predict for: add --spec NAME, one of " + roofline::machine_spec_names());
  }
}

}  // namespace

Options parse_cli(const std::vector<std::string>& args) {
  Options o;
  GridFlags grid;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--benchmark_", 0) == 0) {
      benchmark_flag(args[i], o);
      continue;
    }
    Flag flag(args, i);
    if (!mode_flag(flag, o) && !sweep_flag(flag, o, grid) && !impl_flag(flag, o) && !run_flag(flag, o)) {
      throw UsageError("unknown option \"" + args[i] + "\"; see bench_llama --help");
    }
  }
  check_together(o, grid);
  return o;
}

}  // namespace bench

// bench_llama's command line: its own flags, plus Google Benchmark's --benchmark_* flags passed through.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/sweep/variant_list.hpp"
#include "roofline/sweep.hpp"

namespace bench {

// Bad usage: what() names the problem and the fix. main() turns it into exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class L2Mode { kCold, kWarm };
const char* l2_mode_name(L2Mode mode);

struct Options {
  bool help = false;
  bool schema = false;  // print the CSV columns as Markdown
  bool all_gpus = false;
  int gpu = 0;
  std::string model = "llama-33b";
  roofline::SweepSpec sweep = roofline::default_sweep();
  std::vector<std::string> impls = {"hand", "cublas"};
  AllowedVariants allowed_variants;  // --allow-variants; empty optional: every variant of the table
  bool list_variants = false;        // print the variant table and exit
  L2Mode l2 = L2Mode::kCold;
  std::string out;  // result folder; empty: the default under results/ (or predicted/)
  bool quick = false;
  bool list = false;
  bool predict = false;
  std::string spec;                // datasheet entry; "list" prints them
  std::optional<int> repetitions;  // timed repetitions per point; empty: the harness default
  std::string log_level = "info";
  bool plot = true;
  bool counters = false;                    // a hardware-counter pass per point (measured DRAM and L2 bytes)
  bool gate = true;                         // queue each sample whole before it runs (bench/timing/stream_gate.hpp)
  std::vector<std::string> benchmark_args;  // --benchmark_* flags, in order, for benchmark::Initialize
};

// Parses argv (without argv[0]). Throws UsageError.
Options parse_cli(const std::vector<std::string>& args);

// The text of --help: bench_llama's flags, then Google Benchmark's.
std::string help_text();

// Implementations --impl accepts: hand, cublas, and every variant of the kernels' table by name.
std::vector<std::string> known_impls();

}  // namespace bench

// A generated corpus for the command-line parser and the config loader: tens of thousands of random and mutated
// inputs, run in CI under AddressSanitizer and UndefinedBehaviorSanitizer (preset asan), so a crash, an overflow, a
// leak or an unexpected exception type fails the test. Each input must either parse or be refused with the error
// type that main() turns into exit code 2; a hang would show as the test's timeout.
#include <gtest/gtest.h>

#include <random>

#include "bench/app/cli.hpp"
#include "roofline/model_config.hpp"
#include "roofline/plan.hpp"

namespace bench {
namespace {

constexpr int kCommandLines = 20000;
constexpr int kConfigs = 20000;

const std::vector<std::string> kFlags = {"--gpu",
                                         "--model",
                                         "--phase",
                                         "--ops",
                                         "--impl",
                                         "--batch",
                                         "--seq",
                                         "--dtype",
                                         "--l2",
                                         "--out",
                                         "--quick",
                                         "--list",
                                         "--predict",
                                         "--spec",
                                         "--repetitions",
                                         "--log-level",
                                         "--quiet",
                                         "--help",
                                         "--schema",
                                         "--counters",
                                         "--no-plot",
                                         "--benchmark_filter=",
                                         "--benchmark_repetitions=",
                                         "--benchmark_min_time=",
                                         "-h",
                                         "--",
                                         "-"};
const std::vector<std::string> kValues = {"0",
                                          "1",
                                          "-1",
                                          "7",
                                          "64",
                                          "4096",
                                          "4097",
                                          "8192",
                                          "1048576",
                                          "1048577",
                                          "99999999999999999999",
                                          "",
                                          ",",
                                          "1,,2",
                                          "1,2,4",
                                          "2,2",
                                          "init",
                                          "ar",
                                          "init,ar",
                                          "all",
                                          "q_proj",
                                          "qk,pv",
                                          "hand",
                                          "cublas",
                                          "gemm_mma_64x64",
                                          "fp16",
                                          "bf16",
                                          "cold",
                                          "warm",
                                          "a40",
                                          "list",
                                          "llama-33b",
                                          "debug",
                                          "(",
                                          "[a-",
                                          ".*",
                                          "-q_proj",
                                          "1e3",
                                          "0x10",
                                          "٣",
                                          "\xff\xfe",
                                          std::string(1, '\0'),
                                          std::string(300, '9'),
                                          std::string(5000, ',')};

std::string random_bytes(std::mt19937_64& rng, std::size_t max_length) {
  std::uniform_int_distribution<int> byte(0, 255), length(0, static_cast<int>(max_length));
  std::string s(static_cast<std::size_t>(length(rng)), ' ');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& items) {
  return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng)];
}

TEST(Fuzz, CommandLineParserNeverCrashesOrThrowsAnythingButUsageErrors) {
  std::mt19937_64 rng(20261124);
  int parsed = 0, refused = 0;
  for (int i = 0; i < kCommandLines; ++i) {
    std::vector<std::string> args;
    const int count = std::uniform_int_distribution<int>(0, 8)(rng);
    for (int j = 0; j < count; ++j) {
      switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
        case 0:
          args.push_back(pick(rng, kFlags));
          break;
        case 1:
          args.push_back(pick(rng, kValues));
          break;
        case 2:
          args.push_back(pick(rng, kFlags) + "=" + pick(rng, kValues));
          break;
        default:
          args.push_back(random_bytes(rng, 24));
      }
    }
    try {
      const Options o = parse_cli(args);
      ++parsed;
      // What parses must also plan (bounded: the plan is only built for small sweeps), or be refused as too large.
      if (o.sweep.batches.size() * o.sweep.seq_lens.size() <= 64) {
        try {
          roofline::make_plan(roofline::resolve_model("llama-33b"), o.sweep);
        } catch (const roofline::SizeError&) {
        }
      }
    } catch (const UsageError& e) {
      ++refused;
      EXPECT_GT(std::string(e.what()).size(), 10u);
    }
  }
  EXPECT_GT(parsed, 100);  // the corpus reaches both outcomes
  EXPECT_GT(refused, 100);
}

TEST(Fuzz, ConfigLoaderNeverCrashesOrThrowsAnythingButConfigErrors) {
  const std::string seed_config =
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128,
          "intermediate_size": 28672, "num_hidden_layers": 80, "rope_scaling": {"factor": 8.0}})";
  const std::vector<std::string> replacements = {"0",
                                                 "-1",
                                                 "1e309",
                                                 "-0",
                                                 "18446744073709551616",
                                                 "9223372036854775807",
                                                 "NaN",
                                                 "\"64\"",
                                                 "[]",
                                                 "{}",
                                                 "null",
                                                 "true",
                                                 "1.5",
                                                 "3",
                                                 "7",
                                                 "65536",
                                                 "1e12",
                                                 "\"\"",
                                                 "[64]",
                                                 "{\"a\":1}"};
  std::mt19937_64 rng(42);
  int parsed = 0, refused = 0;
  for (int i = 0; i < kConfigs; ++i) {
    std::string text = seed_config;
    const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
      switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
        case 0:  // replace a number with something hostile
        {
          const std::size_t digit = text.find_first_of("0123456789", at);
          if (digit == std::string::npos) break;
          const std::size_t end = text.find_first_not_of("0123456789.", digit);
          text.replace(digit, end - digit, pick(rng, replacements));
          break;
        }
        case 1:
          text.erase(at, std::uniform_int_distribution<std::size_t>(1, 12)(rng));
          break;
        case 2:
          text.insert(at, random_bytes(rng, 6));
          break;
        case 3:
          text.resize(at);  // truncated
          break;
        default:
          text.insert(at, text.substr(at, 20));  // duplicated piece
      }
    }
    try {
      const roofline::ModelConfig m = roofline::parse_model_config(text, "fuzz.json");
      ++parsed;
      roofline::SweepSpec sweep = roofline::quick_sweep();
      try {
        roofline::make_plan(m, sweep);
      } catch (const roofline::SizeError&) {
      }
    } catch (const roofline::ConfigError&) {
      ++refused;
    }
  }
  EXPECT_GT(parsed, 100);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace bench

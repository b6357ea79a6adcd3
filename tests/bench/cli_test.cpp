#include "bench/app/cli.hpp"

#include <gtest/gtest.h>

namespace bench {
namespace {

Options parse(std::vector<std::string> args) { return parse_cli(args); }

// Expects a UsageError whose message contains `needle`.
void expect_usage_error(std::vector<std::string> args, const std::string& needle) {
  try {
    parse_cli(args);
    FAIL() << "accepted: " << testing::PrintToString(args);
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Cli, DefaultsAreTheReferenceSweep) {
  const Options o = parse({});
  EXPECT_EQ(o.gpu, 0);
  EXPECT_FALSE(o.all_gpus);
  EXPECT_EQ(o.model, "llama-33b");
  EXPECT_EQ(o.sweep.batches, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(o.sweep.seq_lens, (std::vector<std::int64_t>{128, 256, 512, 1024, 2048, 4096, 8192}));
  EXPECT_EQ(o.sweep.ops.size(), 9u);
  EXPECT_EQ(o.sweep.phases.size(), 2u);
  EXPECT_EQ(o.l2, L2Mode::kCold);
  EXPECT_EQ(o.impls, (std::vector<std::string>{"hand", "cublas"}));
  // The medusa phase is opt-in; its candidates default to the paper's range.
  EXPECT_EQ(o.sweep.phases, (std::vector<roofline::Phase>{roofline::Phase::kInit, roofline::Phase::kAr}));
  EXPECT_EQ(o.sweep.candidates, (std::vector<std::int64_t>{16, 32, 48, 64, 80, 96, 112}));
}

TEST(Cli, MedusaPhaseAndCandidates) {
  using roofline::Phase;
  EXPECT_EQ(parse({"--phase", "medusa"}).sweep.phases, (std::vector<Phase>{Phase::kMedusa}));
  EXPECT_EQ(parse({"--phase=all"}).sweep.phases, (std::vector<Phase>{Phase::kInit, Phase::kAr, Phase::kMedusa}));
  EXPECT_EQ(parse({"--phase", "ar,medusa"}).sweep.phases, (std::vector<Phase>{Phase::kAr, Phase::kMedusa}));
  const Options o = parse({"--candidates", "1,8,200", "--phase", "medusa"});  // in either order
  EXPECT_EQ(o.sweep.candidates, (std::vector<std::int64_t>{1, 8, 200}));
  EXPECT_EQ(parse({"--phase", "all", "--candidates=64"}).sweep.candidates, (std::vector<std::int64_t>{64}));
  // --quick shrinks the candidates too; --candidates still overrides it.
  EXPECT_EQ(parse({"--quick", "--phase", "medusa"}).sweep.candidates, (std::vector<std::int64_t>{16, 64}));
  EXPECT_EQ(parse({"--quick", "--phase", "medusa", "--candidates", "32"}).sweep.candidates,
            (std::vector<std::int64_t>{32}));
  // A plan of the parsed sweep: 7 candidates times 49 settings per operator.
  const Options medusa = parse({"--phase", "medusa", "--ops", "qk"});
  EXPECT_EQ(roofline::settings_of(medusa.sweep).size(), 7u * 49);
}

TEST(Cli, BadCandidatesNameTheFix) {
  expect_usage_error({"--phase", "medusa", "--candidates", "0"}, "at least 1");
  expect_usage_error({"--phase", "medusa", "--candidates", "-3"}, "not a whole number");
  expect_usage_error({"--phase", "medusa", "--candidates", "abc"}, "not a whole number");
  expect_usage_error({"--phase", "medusa", "--candidates", "16,,32"}, "empty item");
  expect_usage_error({"--phase", "medusa", "--candidates", "16,16"}, "appears twice");
  expect_usage_error({"--phase", "medusa", "--candidates", "5000"}, "too large");
  expect_usage_error({"--phase", "medusa", "--candidates"}, "needs a value");
  expect_usage_error({"--candidates", "16", "--phase", "ar"}, "add medusa to --phase");
  expect_usage_error({"--candidates", "16"}, "add medusa to --phase");
  expect_usage_error({"--phase", "all,init"}, "or all alone");
  expect_usage_error({"--phase", "Medusa"}, "use init, ar, medusa");
}

TEST(Cli, EveryFlagInBothSpellings) {
  const Options o = parse({"--gpu",       "1",       "--model=llama-7b", "--phase", "ar",
                           "--ops=qk,pv", "--impl",  "cublas",           "--batch", "1,8",
                           "--seq=4096",  "--dtype", "bf16,fp16",        "--l2",    "warm",
                           "--out",       "x",       "--repetitions",    "7",       "--log-level=debug",
                           "--no-plot"});
  EXPECT_EQ(o.gpu, 1);
  EXPECT_EQ(o.model, "llama-7b");
  EXPECT_EQ(o.sweep.phases, (std::vector<roofline::Phase>{roofline::Phase::kAr}));
  EXPECT_EQ(o.sweep.ops, (std::vector<roofline::Op>{roofline::Op::kQk, roofline::Op::kPv}));
  EXPECT_EQ(o.impls, (std::vector<std::string>{"cublas"}));
  EXPECT_EQ(o.sweep.batches, (std::vector<std::int64_t>{1, 8}));
  EXPECT_EQ(o.sweep.seq_lens, (std::vector<std::int64_t>{4096}));
  EXPECT_EQ(o.sweep.dtypes, (std::vector<roofline::Dtype>{roofline::Dtype::kBF16, roofline::Dtype::kF16}));
  EXPECT_EQ(o.l2, L2Mode::kWarm);
  EXPECT_EQ(o.out, "x");
  EXPECT_EQ(*o.repetitions, 7);
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_FALSE(o.plot);
}

TEST(Cli, QuickIsOverriddenByExplicitLists) {
  const Options quick = parse({"--quick"});
  EXPECT_EQ(quick.sweep.batches, (std::vector<std::int64_t>{1, 16}));
  const Options mixed = parse({"--batch", "2", "--quick"});
  EXPECT_EQ(mixed.sweep.batches, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(mixed.sweep.seq_lens, (std::vector<std::int64_t>{512, 4096}));
}

TEST(Cli, GoogleBenchmarkFlagsPassThrough) {
  const Options o = parse({"--benchmark_filter=qk", "--gpu", "all", "--benchmark_repetitions=3"});
  EXPECT_TRUE(o.all_gpus);
  EXPECT_EQ(o.benchmark_args, (std::vector<std::string>{"--benchmark_filter=qk"}));
  EXPECT_EQ(*o.repetitions, 3);  // one sample per iteration: Google Benchmark's repetitions are ours
}

TEST(Cli, PredictNeedsASpec) {
  expect_usage_error({"--predict"}, "--spec");
  EXPECT_EQ(parse({"--predict", "--spec", "a40"}).spec, "a40");
  EXPECT_EQ(parse({"--spec", "NVIDIA A40"}).spec, "NVIDIA A40");
}

TEST(Cli, BadUsageNamesTheFix) {
  expect_usage_error({"--batch", "0"}, "at least 1");
  expect_usage_error({"--batch", "-4"}, "not a whole number");
  expect_usage_error({"--batch", "1,,4"}, "empty item");
  expect_usage_error({"--batch", "1,"}, "empty item");
  expect_usage_error({"--batch", "two"}, "not a whole number");
  expect_usage_error({"--batch", "1.5"}, "not a whole number");
  expect_usage_error({"--batch", "99999999999999999999999"}, "too large");
  expect_usage_error({"--batch", "5000"}, "too large");
  expect_usage_error({"--batch", "4,4"}, "appears twice");
  expect_usage_error({"--batch="}, "needs a value");
  expect_usage_error({"--batch"}, "needs a value");
  expect_usage_error({"--seq", "--quick"}, "needs a value");
  expect_usage_error({"--phase", "decode"}, "use init, ar");
  expect_usage_error({"--ops", "qkv"}, "q_proj, k_proj");
  expect_usage_error({"--impl", "triton"}, "use hand, cublas, gemv_mma_splitk");
  EXPECT_EQ(parse({"--impl", "gemm_mma_64x64"}).impls, (std::vector<std::string>{"gemm_mma_64x64"}));
  expect_usage_error({"--dtype", "fp8"}, "use fp16, bf16");
  expect_usage_error({"--l2", "hot"}, "use cold");
  expect_usage_error({"--gpu", "x"}, "or all");
  expect_usage_error({"--gpu", "-1"}, "--gpu");
  expect_usage_error({"--spec", "a41"}, "a40");
  expect_usage_error({"--log-level", "loud"}, "use trace");
  expect_usage_error({"--quick=yes"}, "takes no value");
  expect_usage_error({"--frobnicate"}, "unknown option");
  expect_usage_error({"-x"}, "unknown option");
  expect_usage_error({"--repetitions", "0"}, "at least 1");
}

TEST(Cli, AllowVariantsListsHandWrittenVariantsOnly) {
  EXPECT_FALSE(parse({}).allowed_variants.has_value());  // default: every variant of the table
  EXPECT_EQ(*parse({"--allow-variants", "gemm_mma_64x64,gemv_mma_splitk"}).allowed_variants,
            (std::vector<std::string>{"gemm_mma_64x64", "gemv_mma_splitk"}));
  EXPECT_EQ(*parse({"--allow-variants=none"}).allowed_variants, std::vector<std::string>{});
  expect_usage_error({"--allow-variants", "triton"}, "not a hand-written variant");
  expect_usage_error({"--allow-variants", "hand"}, "not a hand-written variant");
  expect_usage_error({"--allow-variants", "none,gemm_mma_64x64"}, "write none alone");
  expect_usage_error({"--allow-variants", "gemm_mma_64x64,gemm_mma_64x64"}, "appears twice");
  expect_usage_error({"--allow-variants"}, "needs a value");
}

TEST(Cli, AVariantNamedWithImplMustBeAllowed) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--impl", "gemm_mma_128x128,cublas", "--allow-variants", "gemm_mma_64x64"},
           {"--allow-variants", "gemm_mma_64x64", "--impl", "gemm_mma_128x128,cublas"}}) {
    expect_usage_error(args,
                       "--impl names gemm_mma_128x128, which --allow-variants leaves out (allowed: gemm_mma_64x64)");
  }
  expect_usage_error({"--impl", "gemm_mma_64x64", "--allow-variants", "none"}, "(allowed: none)");
  const Options o = parse({"--impl", "hand,cublas,gemm_mma_64x64", "--allow-variants", "gemm_mma_64x64"});
  EXPECT_EQ(o.impls, (std::vector<std::string>{"hand", "cublas", "gemm_mma_64x64"}));
  EXPECT_EQ(parse({"--allow-variants", "none"}).impls, (std::vector<std::string>{"hand", "cublas"}));
  EXPECT_TRUE(parse({"--list-variants"}).list_variants);
  expect_usage_error({"--list-variants=yes"}, "takes no value");
}

TEST(Cli, HelpDocumentsEveryFlag) {
  const std::string help = help_text();
  for (const char* flag : {"--gpu",
                           "--model",
                           "--phase",
                           "--ops",
                           "--impl",
                           "--allow-variants",
                           "--list-variants",
                           "--batch",
                           "--seq",
                           "--candidates",
                           "medusa",
                           "all",
                           "--dtype",
                           "--l2",
                           "--out",
                           "--quick",
                           "--list",
                           "--predict",
                           "--spec",
                           "--schema",
                           "--repetitions",
                           "--counters",
                           "--log-level",
                           "--quiet",
                           "--no-plot",
                           "--benchmark_filter",
                           "--benchmark_repetitions",
                           "Exit codes"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace bench

// Needs no GPU: CUPTI's host API knows each chip's counters, so every metric bench_llama reads is checked against
// the chips of the GPUs it is used on, with the replay passes collecting them takes.
#include "bench/gpu/counters.hpp"

#include <gtest/gtest.h>

#include "bench/gpu/cupti_api.hpp"

namespace bench {
namespace {

// CUPTI's host library is loaded with RTLD_DEEPBIND, which AddressSanitizer cannot run; the ci preset runs these.
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_LLAMA_SKIP_UNDER_ASAN() \
  GTEST_SKIP() << "CUPTI's host library cannot be loaded under AddressSanitizer (RTLD_DEEPBIND); run in preset ci"
#else
#define BENCH_LLAMA_SKIP_UNDER_ASAN() (void)0
#endif

class CounterMetrics : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { BENCH_LLAMA_SKIP_UNDER_ASAN(); }
};

TEST_P(CounterMetrics, EveryMetricExistsOnTheChip) {
  const MetricCheck check = check_metrics_offline(GetParam());
  ASSERT_TRUE(check.valid) << GetParam() << ": " << check.error;
  EXPECT_GE(check.passes, 1u);
  EXPECT_LE(check.passes, 4u) << "more replay passes than expected: the counter pass would be slow";
  RecordProperty("passes", static_cast<int>(check.passes));
  std::cout << GetParam() << ": " << counter_metrics().size() << " metrics in " << check.passes << " pass(es)\n";
}

// A40 (GA102), A100 (GA100), L40S (AD102), H100 and H200 (GH100).
INSTANTIATE_TEST_SUITE_P(Chips, CounterMetrics, testing::Values("GA102", "GA100", "AD102", "GH100"));

TEST(CounterMetricsCheck, AnUnknownChipIsRefused) {
  BENCH_LLAMA_SKIP_UNDER_ASAN();
  const MetricCheck check = check_metrics_offline("GX999");
  EXPECT_FALSE(check.valid);
  EXPECT_FALSE(check.error.empty());
}

TEST(CounterMetricsCheck, RefusalHintNamesTheFix) {
  const std::string hint = counters_refused_hint("CUPTI_ERROR_INSUFFICIENT_PRIVILEGES");
  EXPECT_NE(hint.find("NVreg_RestrictProfilingToAdminUsers=0"), std::string::npos);
  EXPECT_NE(hint.find("stay empty"), std::string::npos);
}

TEST(CounterMetricsCheck, CuptiIsLookedForWhereCudaInstallsPutIt) {
  const std::vector<std::string> candidates = cupti_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.front().find('/'), std::string::npos) << "first by name: LD_LIBRARY_PATH and RUNPATH win";
  auto has = [&](const std::string& folder) {
    for (const auto& c : candidates) {
      if (c.rfind(folder + "/libcupti.so.", 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/usr/local/cuda/extras/CUPTI/lib64"));
  EXPECT_TRUE(has("/usr/local/cuda/lib64"));
  EXPECT_TRUE(has("/usr/local/cuda/targets/x86_64-linux/lib"));
}

TEST(CounterMetricsCheck, AMissingLibraryIsNotCalledAPermissionProblem) {
  const std::string hint = counters_refused_hint(
      "CUPTI (libcupti.so.13) not found (tried ...); add the folder that holds it, e.g. "
      "/usr/local/cuda/extras/CUPTI/lib64, to LD_LIBRARY_PATH");
  EXPECT_NE(hint.find("LD_LIBRARY_PATH"), std::string::npos);
  EXPECT_EQ(hint.find("NVreg_RestrictProfilingToAdminUsers"), std::string::npos);
}

}  // namespace
}  // namespace bench

#include "roofline/machine_spec.hpp"

#include <gtest/gtest.h>

#include <set>

namespace roofline {
namespace {

TEST(MachineSpec, A40RidgeIs215) {
  const MachineSpec* a40 = find_machine_spec("a40");
  ASSERT_NE(a40, nullptr);
  EXPECT_NEAR(ridge_point(a40->roof(Dtype::kF16)), 215.1, 0.05);
  EXPECT_DOUBLE_EQ(a40->dram_gbps, 696);
  EXPECT_DOUBLE_EQ(a40->fp16_tflops, 149.7);
}

TEST(MachineSpec, LookUpByShortAndDriverName) {
  EXPECT_EQ(find_machine_spec("NVIDIA A40"), find_machine_spec("a40"));
  EXPECT_EQ(find_machine_spec("nvidia h100 80gb hbm3"), find_machine_spec("h100-sxm"));
  EXPECT_EQ(find_machine_spec("H200"), find_machine_spec("NVIDIA H200"));
  EXPECT_EQ(find_machine_spec("a41"), nullptr);
}

TEST(MachineSpec, TheIssuesListIsCoveredAndEveryEntryIsSourcedAndConsistent) {
  std::set<std::string> names;
  for (const auto& s : machine_specs()) names.insert(s.short_name);
  for (const char* want : {"a40", "a100-pcie-40gb", "a100-pcie-80gb", "a100-sxm-40gb", "a100-sxm-80gb", "rtx-a6000",
                           "l4", "l40s", "rtx-4090", "h100-pcie", "h100-sxm", "h200", "b200"}) {
    EXPECT_EQ(names.count(want), 1u) << want;
  }
  for (const auto& s : machine_specs()) {
    EXPECT_GT(s.dram_gbps, 0) << s.short_name;
    EXPECT_GT(s.fp16_tflops, 0) << s.short_name;
    EXPECT_GT(s.bf16_tflops, 0) << s.short_name;
    EXPECT_GT(s.sm_count, 0) << s.short_name;
    EXPECT_GT(std::string(s.source).size(), 20u) << s.short_name;
    EXPECT_FALSE(s.driver_names.empty()) << s.short_name;
    // Where the per-clock rate is known, the datasheet peak implies a boost clock between 1.4 and 2.6 GHz.
    if (s.tensor_flop_per_clk_per_sm > 0) {
      const double clock_ghz = s.fp16_tflops * 1e12 / (s.sm_count * s.tensor_flop_per_clk_per_sm) / 1e9;
      EXPECT_GT(clock_ghz, 1.4) << s.short_name;
      EXPECT_LT(clock_ghz, 2.6) << s.short_name;
    }
  }
}

}  // namespace
}  // namespace roofline

#include "bench/app/run_folder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/app/cli.hpp"

namespace bench {
namespace {
namespace fs = std::filesystem;

TEST(RunFolder, Slug) {
  EXPECT_EQ(slug("NVIDIA H100 80GB HBM3"), "nvidia-h100-80gb-hbm3");
  EXPECT_EQ(slug("  A40 "), "a40");
  EXPECT_EQ(slug("///"), "unknown");
}

TEST(RunFolder, DefaultNameAvoidsFoldersThatHoldFiles) {
  const fs::path root = fs::path(testing::TempDir()) / ("runs_" + std::to_string(getpid()));
  fs::remove_all(root);
  const std::string first = default_run_folder(root.string(), "a40", "2026-11-24", "abc123");
  EXPECT_EQ(first, (root / "a40" / "2026-11-24_abc123").string());
  prepare_run_folder(first);
  std::ofstream(first + "/roofline.csv") << "x\n";
  EXPECT_EQ(default_run_folder(root.string(), "a40", "2026-11-24", "abc123"),
            (root / "a40" / "2026-11-24_abc123_2").string());
  EXPECT_THROW(prepare_run_folder(first), UsageError);
  std::ofstream(root / "file") << "x";
  EXPECT_THROW(prepare_run_folder((root / "file").string()), UsageError);
  fs::remove_all(root);
}

}  // namespace
}  // namespace bench

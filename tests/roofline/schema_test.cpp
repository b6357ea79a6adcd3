// The CSV schema: DESIGN.md section 5's core columns exist with their exact names, and docs/csv_columns.md documents
// every column in the file's order (so the docs cannot fall behind the code).
#include "roofline/schema.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace roofline {
namespace {

TEST(Schema, CoreColumnsOfDesignSection5) {
  const std::vector<std::string> core = {"schema_version",
                                         "run_id",
                                         "timestamp_utc",
                                         "host",
                                         "gpu_index",
                                         "gpu_name",
                                         "gpu_uuid",
                                         "cc",
                                         "sm_count",
                                         "driver_version",
                                         "cuda_runtime_version",
                                         "cuda_driver_version",
                                         "cublas_version",
                                         "git_commit",
                                         "build_archs",
                                         "l2_mode",
                                         "model",
                                         "series",
                                         "op",
                                         "phase",
                                         "impl",
                                         "dtype",
                                         "batch",
                                         "seq_len",
                                         "m",
                                         "n",
                                         "k",
                                         "batch_count",
                                         "flops",
                                         "bytes_min",
                                         "intensity",
                                         "time_us_median",
                                         "time_us_min",
                                         "time_cv",
                                         "repetitions",
                                         "sm_clock_mhz",
                                         "throttled",
                                         "dram_bytes_measured",
                                         "l2_bytes_measured",
                                         "intensity_measured",
                                         "peak_tflops_datasheet",
                                         "peak_gbps_datasheet",
                                         "peak_tflops_measured",
                                         "peak_gbps_measured",
                                         "achieved_tflops",
                                         "achieved_gbps",
                                         "attainable_tflops",
                                         "roof_fraction",
                                         "bound",
                                         "status",
                                         "rel_error",
                                         "reason"};
  const std::vector<std::string> header = csv_header();
  // Version 1 starts with the core, in DESIGN.md's order; extensions follow.
  ASSERT_GE(header.size(), core.size());
  for (std::size_t i = 0; i < core.size(); ++i) EXPECT_EQ(header[i], core[i]);
  EXPECT_EQ(std::set<std::string>(header.begin(), header.end()).size(), header.size()) << "duplicate column";
}

TEST(Schema, EachVersionAppendsToTheLast) {
  // Version 2 is version 1 plus `candidates`; version 3 appends the columns below after it, version 4 `device_kind`,
  // version 5 the predicted achieved point: an older reader's columns keep their places.
  EXPECT_EQ(kSchemaVersion, 5);
  const std::vector<std::string> header = csv_header();
  const std::vector<std::string> version3 = {
      "time_us_single",        "launches_per_sample",     "median_ci_rel", "samples_stop",
      "sm_clock_source",       "sm_clock_max_mhz",        "clock_low",     "power_w_mean",
      "power_capped_fraction", "thermal_capped_fraction", "measured_at_s", "ceiling_pass"};
  const std::vector<std::string> version5 = {"time_us_predicted",  "achieved_tflops_predicted", "dram_bytes_predicted",
                                             "l2_bytes_predicted", "wave_efficiency",           "bound_predicted"};
  ASSERT_GT(header.size(), version3.size() + version5.size() + 3);
  for (std::size_t i = 0; i < version5.size(); ++i) {
    EXPECT_EQ(header[header.size() - version5.size() + i], version5[i]);
  }
  const std::size_t last4 = header.size() - 1 - version5.size();
  EXPECT_EQ(header[last4], "device_kind");  // the only column of version 4
  const std::size_t first = last4 - version3.size();
  for (std::size_t i = 0; i < version3.size(); ++i) EXPECT_EQ(header[first + i], version3[i]);
  EXPECT_EQ(header[first - 1], "candidates");       // the last column of version 2
  EXPECT_EQ(header[first - 2], "time_us_counted");  // the last column of version 1
  PointRow row;
  row.candidates = 48;
  row.ceiling_pass = "end";
  row.run.device_kind = "emulated";
  row.bound_predicted = "dram";
  const std::vector<std::string> cells = csv_cells(row);
  EXPECT_EQ(cells[first - 1], "48");
  EXPECT_EQ(cells[last4 - 1], "end");
  EXPECT_EQ(cells[last4], "emulated");
  EXPECT_EQ(cells.back(), "dram");
}

TEST(Schema, EmptyRowHasEmptyMeasurementsNotZeros) {
  const std::vector<std::string> cells = csv_cells(PointRow{});
  const std::vector<std::string> header = csv_header();
  ASSERT_EQ(cells.size(), header.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (header[i] == "schema_version") {
      EXPECT_EQ(cells[i], std::to_string(kSchemaVersion));
    } else {
      EXPECT_EQ(cells[i], "") << header[i];
    }
  }
}

// docs/csv_columns.md of the source tree: named by $BENCH_LLAMA_SOURCE_DIR, else found from the working directory up
// (the test binary may run in a copy of the tree on another machine), else the tree this binary was built from.
std::string csv_columns_doc() {
  std::vector<std::filesystem::path> roots;
  if (const char* named = std::getenv("BENCH_LLAMA_SOURCE_DIR"); named && *named) roots.emplace_back(named);
  std::error_code ec;
  for (auto dir = std::filesystem::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
    roots.push_back(dir);
    if (dir == dir.parent_path()) break;
  }
  roots.emplace_back(BENCH_LLAMA_SOURCE_DIR);
  for (const auto& root : roots) {
    const auto doc = root / "docs" / "csv_columns.md";
    if (std::filesystem::is_regular_file(doc, ec) && std::filesystem::exists(root / "roofline" / "schema.cpp", ec)) {
      return doc.string();
    }
  }
  return "";
}

TEST(Schema, DocsHoldTheGeneratedColumnTable) {
  const std::string path = csv_columns_doc();
  ASSERT_FALSE(path.empty())
      << "docs/csv_columns.md not found: run from the source tree, or set BENCH_LLAMA_SOURCE_DIR";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " cannot be read";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(csv_columns_markdown()), std::string::npos)
      << "docs/csv_columns.md is out of date: replace its table with the output of `bench_llama --schema`";
  for (const auto& column : csv_columns()) {
    EXPECT_GT(std::string(column.meaning).size(), 10u) << column.name;
  }
}

}  // namespace
}  // namespace roofline

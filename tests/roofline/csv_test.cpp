#include "roofline/csv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace roofline {
namespace {

std::string temp_path(const std::string& name) {
  const std::string path = testing::TempDir() + "/" + name + "_" + std::to_string(getpid()) + ".csv";
  std::remove(path.c_str());
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Csv, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_quote("qkv mlp"), "qkv mlp");
  EXPECT_EQ(csv_quote("up/gate/down"), "up/gate/down");
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_quote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_quote(" padded "), "\" padded \"");
  EXPECT_EQ(csv_quote(""), "");
}

TEST(Csv, NumbersRoundTripAndEmptyMeansNotMeasured) {
  EXPECT_EQ(csv_number(0.1), "0.1");
  EXPECT_EQ(csv_number(149.7e12), "1.497e+14");  // shortest form that reads back exactly
  EXPECT_EQ(csv_number(std::int64_t{447000000000}), "447000000000");
  EXPECT_EQ(csv_number(std::optional<double>()), "");
  EXPECT_EQ(csv_number(std::optional<double>(0.0)), "0");
  const double awkward = 1.0 / 3.0;
  EXPECT_EQ(std::stod(csv_number(awkward)), awkward);
  EXPECT_EQ(csv_number(std::numeric_limits<double>::quiet_NaN()), "nan");
}

TEST(Csv, RoundTripWithAwkwardValues) {
  const std::string path = temp_path("roundtrip");
  const std::vector<std::string> header = {"name", "note", "value"};
  const std::vector<std::vector<std::string>> rows = {
      {"qkv mlp", "plain", "1"},
      {"comma,inside", "quote \" inside", ""},
      {"line\nbreak", "crlf\r\nbreak", "-0"},
      {"", "", ""},
      {" lead", "trail ", "\"\""},
      {"unicode µs ✓", "tab\there", "1e-300"},
  };
  {
    CsvWriter writer(path, header);
    for (const auto& row : rows) writer.write_row(row);
    EXPECT_EQ(writer.rows_written(), 6);
  }
  const CsvTable table = read_csv(path);
  EXPECT_EQ(table.header, header);
  ASSERT_EQ(table.rows.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(table.rows[i], rows[i]) << "row " << i;
  EXPECT_EQ(table.at(1, "note"), "quote \" inside");
  EXPECT_THROW(table.column("missing"), CsvError);
  std::remove(path.c_str());
}

TEST(Csv, EveryRowIsOnDiskAsSoonAsItIsWritten) {
  const std::string path = temp_path("flush");
  CsvWriter writer(path, {"a", "b"});
  writer.write_row({"1", "2"});
  // Read while the writer is still open: the row is there (a killed run keeps it).
  EXPECT_EQ(slurp(path), "a,b\n1,2\n");
  EXPECT_THROW(writer.write_row({"only one"}), CsvError);
  EXPECT_EQ(slurp(path), "a,b\n1,2\n");
  std::remove(path.c_str());
}

TEST(Csv, AppendingRepairsATornLastRowAndRefusesAnotherHeader) {
  const std::string path = temp_path("torn");
  {
    std::ofstream out(path, std::ios::binary);
    out << "a,b\n1,2\n3,\"unfinished";
  }
  EXPECT_THROW(read_csv(path), CsvError);
  {
    CsvWriter writer(path, {"a", "b"});
    writer.write_row({"5", "6"});
  }
  EXPECT_EQ(slurp(path), "a,b\n1,2\n5,6\n");
  EXPECT_THROW(CsvWriter(path, {"a", "c"}), CsvError);
  std::remove(path.c_str());
}

TEST(Csv, ParserRejectsRaggedRows) {
  EXPECT_THROW(parse_csv("a,b\n1,2,3\n"), CsvError);
  const CsvTable t = parse_csv("a,b\r\n1,2\r\n");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][1], "2");
}

TEST(Csv, UnwritablePathNamesTheFix) {
  try {
    CsvWriter writer("/nonexistent-dir/x.csv", {"a"});
    FAIL();
  } catch (const CsvError& e) {
    EXPECT_NE(std::string(e.what()).find("--out"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace roofline

// CSV files (RFC 4180): a writer that appends one whole row per write and flushes it, so a run that dies keeps every
// finished row and never leaves a torn one; and a reader (used by the tests and by --append).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace roofline {

class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Quotes a cell when it holds a comma, quote, CR or LF, or starts or ends with a space.
std::string csv_quote(const std::string& cell);
// One line: quoted cells joined by commas, ended by '\n'.
std::string csv_line(const std::vector<std::string>& cells);

// Numbers as text: shortest round-trip form for doubles, plain digits for integers; an empty optional is an empty
// cell ("not measured", never zero).
std::string csv_number(double value);
std::string csv_number(std::int64_t value);
std::string csv_number(const std::optional<double>& value);
std::string csv_number(const std::optional<std::int64_t>& value);

class CsvWriter {
 public:
  // Creates `path` with `header`. If the file exists it must hold the same header; a torn last line (a run killed
  // mid-write by something this writer could not stop, such as a full disk) is cut off, and rows are appended.
  CsvWriter(const std::string& path, const std::vector<std::string>& header);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // Writes the whole row with one write(2) on an O_APPEND descriptor; on a short write the file is cut back to
  // its last complete row and CsvError is thrown.
  void write_row(const std::vector<std::string>& cells);
  // Flushes the file to disk (fsync); throws CsvError if it cannot.
  void sync();
  const std::string& path() const { return path_; }
  std::int64_t rows_written() const { return rows_; }

 private:
  std::string path_;
  std::size_t columns_ = 0;
  int fd_ = -1;
  std::int64_t rows_ = 0;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Index of a column, or throws CsvError naming it.
  std::size_t column(const std::string& name) const;
  const std::string& at(std::size_t row, const std::string& name) const { return rows.at(row).at(column(name)); }
};

// Parses CSV text; throws CsvError on an unterminated quote or a row whose width differs from the header's.
CsvTable parse_csv(const std::string& text);
CsvTable read_csv(const std::string& path);

}  // namespace roofline

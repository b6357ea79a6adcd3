#include "roofline/csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace roofline {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes all of `data`, retrying on EINTR and partial writes; returns false on an error.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string csv_quote(const std::string& cell) {
  const bool needs_quotes = cell.find_first_of(",\"\r\n") != std::string::npos ||
                            (!cell.empty() && (cell.front() == ' ' || cell.back() == ' '));
  if (!needs_quotes) return cell;
  std::string out = "\"";
  for (char ch : cell) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += csv_quote(cells[i]);
  }
  line += '\n';
  return line;
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("nan");
}

std::string csv_number(std::int64_t value) { return std::to_string(value); }

std::string csv_number(const std::optional<double>& value) { return value ? csv_number(*value) : std::string(); }

std::string csv_number(const std::optional<std::int64_t>& value) { return value ? csv_number(*value) : std::string(); }

CsvWriter::CsvWriter(const std::string& path, const std::vector<std::string>& header)
    : path_(path), columns_(header.size()) {
  const std::string header_line = csv_line(header);
  struct stat info {};
  const bool exists = ::stat(path.c_str(), &info) == 0 && info.st_size > 0;
  if (exists) {
    CsvTable existing;
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Keep complete lines only: everything up to the last newline outside quotes.
    std::size_t keep = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '"') quoted = !quoted;
      if (text[i] == '\n' && !quoted) keep = i + 1;
    }
    if (text.compare(0, header_line.size(), header_line) != 0) {
      throw CsvError(path +
                     ": exists with a different header (another schema version or not a bench_llama CSV); "
                     "write to a new --out folder");
    }
    if (keep < text.size() && ::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      throw CsvError(path + ": cannot cut off a torn last row: " + errno_text());
    }
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw CsvError("cannot open " + path + " for writing: " + errno_text() + "; choose a writable --out");
  if (!exists && !write_all(fd_, header_line.data(), header_line.size())) {
    const std::string why = errno_text();
    ::close(fd_);
    fd_ = -1;
    throw CsvError("cannot write " + path + ": " + why);
  }
}

CsvWriter::~CsvWriter() {
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
  }
}

void CsvWriter::sync() {
  if (fd_ >= 0 && ::fsync(fd_) != 0) throw CsvError("cannot write " + path_ + " to disk: " + errno_text());
}

void CsvWriter::write_row(const std::vector<std::string>& cells) {
  if (cells.size() != columns_) {
    throw CsvError(path_ + ": a row has " + std::to_string(cells.size()) + " cells, the header " +
                   std::to_string(columns_));
  }
  const std::string line = csv_line(cells);
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  if (!write_all(fd_, line.data(), line.size())) {
    const std::string why = errno_text();
    if (before >= 0 && ::ftruncate(fd_, before) != 0) {
      // Nothing more can be done; the reader's width check will name the torn row.
    }
    throw CsvError("cannot append to " + path_ + ": " + why);
  }
  ++rows_;
}

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  throw CsvError("no column \"" + name + "\" in the CSV");
}

CsvTable parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string cell;
  bool quoted = false;
  bool cell_started = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cell += ch;
      }
      continue;
    }
    if (ch == '"' && cell.empty()) {
      quoted = true;
      cell_started = true;
    } else if (ch == ',') {
      record.push_back(cell);
      cell.clear();
      cell_started = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(cell);
      records.push_back(record);
      record.clear();
      cell.clear();
      cell_started = false;
    } else {
      cell += ch;
      cell_started = true;
    }
  }
  if (quoted) throw CsvError("CSV ends inside a quoted cell (a torn last row)");
  if (cell_started || !cell.empty()) {
    record.push_back(cell);
    records.push_back(record);
  }
  CsvTable table;
  if (records.empty()) return table;
  table.header = records.front();
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size()) {
      throw CsvError("CSV row " + std::to_string(r) + " has " + std::to_string(records[r].size()) +
                     " cells, the header " + std::to_string(table.header.size()));
    }
    table.rows.push_back(std::move(records[r]));
  }
  return table;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CsvError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str());
}

}  // namespace roofline

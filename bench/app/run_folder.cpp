#include "bench/app/run_folder.hpp"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "bench/app/cli.hpp"

namespace bench {
namespace fs = std::filesystem;

std::string slug(const std::string& text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch)) {
      out += static_cast<char>(std::tolower(ch));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "unknown" : out;
}

std::string default_run_folder(const std::string& root, const std::string& gpu_slug, const std::string& date,
                               const std::string& commit) {
  const fs::path base = fs::path(root) / gpu_slug;
  const std::string stem = date + "_" + commit;
  std::error_code ec;
  for (int n = 1;; ++n) {
    const fs::path candidate = base / (n == 1 ? stem : stem + "_" + std::to_string(n));
    if (!fs::exists(candidate, ec) || fs::is_empty(candidate, ec)) return candidate.string();
  }
}

bool under_results(const std::string& path) {
  std::error_code ec;
  for (const auto& part : fs::weakly_canonical(fs::absolute(path, ec), ec)) {
    if (part == "results") return true;
  }
  return false;
}

void check_run_folder(const std::string& path) {
  std::error_code ec;
  fs::path folder = fs::absolute(path, ec);
  if (fs::exists(folder, ec)) {
    if (!fs::is_directory(folder, ec))
      throw UsageError("--out " + path + " is a file, not a folder; choose a folder path");
    if (!fs::is_empty(folder, ec)) {
      throw UsageError("--out " + path +
                       " already holds files; choose a new folder (a run never mixes its rows "
                       "with another's)");
    }
    if (::access(folder.c_str(), W_OK) != 0) throw UsageError("--out " + path + " is not writable; choose another");
    return;
  }
  // The nearest existing ancestor must be a folder we may create things in.
  fs::path ancestor = folder.parent_path();
  while (!ancestor.empty() && !fs::exists(ancestor, ec)) ancestor = ancestor.parent_path();
  if (ancestor.empty() || !fs::is_directory(ancestor, ec)) {
    throw UsageError("--out " + path + ": " + ancestor.string() + " is not a folder; choose a path under a folder");
  }
  // access() says yes to root everywhere; a folder made and removed again is the real test (read-only mounts, /proc).
  std::string probe = (ancestor / ".bench_llama_probe_XXXXXX").string();
  if (::mkdtemp(probe.data()) == nullptr) {
    throw UsageError("--out " + path + ": cannot create folders in " + ancestor.string() + "; choose a writable --out");
  }
  fs::remove(probe, ec);
}

void prepare_run_folder(const std::string& path) {
  std::error_code ec;
  const fs::path folder(path);
  if (fs::exists(folder, ec)) {
    if (!fs::is_directory(folder, ec)) {
      throw UsageError("--out " + path + " is a file, not a folder; choose a folder path");
    }
    if (!fs::is_empty(folder, ec)) {
      throw UsageError("--out " + path +
                       " already holds files; choose a new folder (a run never mixes its rows "
                       "with another's)");
    }
  } else if (!fs::create_directories(folder, ec) && ec) {
    throw UsageError("cannot create the result folder " + path + ": " + ec.message() + "; choose a writable --out");
  }
  // Probe: a folder can exist and still refuse files (read-only mount, permissions).
  const fs::path probe = folder / ".write_test";
  {
    std::ofstream out(probe);
    if (!out) throw UsageError("cannot write into " + path + "; choose a writable --out");
  }
  fs::remove(probe, ec);
}

}  // namespace bench

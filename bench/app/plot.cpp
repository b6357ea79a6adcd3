#include "bench/app/plot.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "bench/app/build_info.hpp"
#include "bench/app/device_kind.hpp"

namespace bench {
namespace {

// Single-quotes a path for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

}  // namespace

std::string plot_python() {
  if (const char* named = std::getenv("BENCH_LLAMA_PYTHON"); named && *named) return named;
  // The project's environment (tools/setup.sh makes it, with matplotlib and pandas): beside the working directory,
  // else in the tree bench_llama was built from. The system's python3 often lacks matplotlib.
  for (const std::string& venv :
       {std::string(".venv/bin/python"), std::string(build_source_dir()) + "/.venv/bin/python"}) {
    if (::access(venv.c_str(), X_OK) == 0) return venv;
  }
  return "python3";
}

bool draw_plot(const std::string& folder) {
  const std::string python = plot_python();
  // The script beside the working directory (a checkout, or a copy of the tree on another machine), else the one of
  // the tree bench_llama was built from.
  std::string script = "scripts/plot_roofline.py";
  if (!std::filesystem::exists(script)) script = std::string(build_source_dir()) + "/scripts/plot_roofline.py";
  const std::string csv = folder + "/roofline.csv";
  const std::string png = folder + "/roofline.png";
  // An emulated run's plot is drawn too (the script refuses such rows unless asked), with its mark on its face.
  const std::string command = shell_quote(python) + " " + shell_quote(script) + " " + shell_quote(csv) + " --out " +
                              shell_quote(png) + (kEmulatedDevice ? " --allow-emulated" : "") + " 2>&1";
  if (!std::filesystem::exists(script)) {
    spdlog::warn("plot skipped: scripts/plot_roofline.py not found here nor in {}", build_source_dir());
    return false;
  }
  spdlog::debug("drawing the plot: {}", command);
  const int status = std::system(command.c_str());
  if (status != 0 || !std::filesystem::exists(png)) {
    spdlog::warn(
        "plot not drawn with {} (python3 with matplotlib and pandas is needed: run tools/setup.sh, or set "
        "BENCH_LLAMA_PYTHON to such an interpreter). Draw it later with: {} {} {} --out {}",
        python, python, script, csv, png);
    return false;
  }
  return true;
}

}  // namespace bench

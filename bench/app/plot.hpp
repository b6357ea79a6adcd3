// Draws roofline.png from a result folder's CSV with scripts/plot_roofline.py. Drawing is a convenience: when
// python3 or matplotlib is missing the run still succeeds, and the log says how to draw it later.
#pragma once

#include <string>

namespace bench {

// The interpreter that draws: $BENCH_LLAMA_PYTHON, else the project's .venv (beside the working directory, else in
// the source tree of the build), else python3.
std::string plot_python();

// Returns true if the plot was written.
bool draw_plot(const std::string& folder);

}  // namespace bench

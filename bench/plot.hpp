// Draws roofline.png from a result folder's CSV with scripts/plot_roofline.py. Drawing is a convenience: when
// python3 or matplotlib is missing the run still succeeds, and the log says how to draw it later.
#pragma once

#include <string>

namespace bench {

// Returns true if the plot was written.
bool draw_plot(const std::string& folder);

}  // namespace bench

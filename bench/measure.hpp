// A measured sweep on one or more GPUs (docs/measuring.md).
#pragma once

#include <string>
#include <vector>

#include "bench/cli.hpp"
#include "roofline/plan.hpp"

namespace bench {

// Measures the plan on the selected GPUs, one result folder each; returns the exit code.
// `args` are the command line's arguments (for --gpu all, which runs one process per GPU with the same arguments).
int run_measure(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                const char* argv0, const std::vector<std::string>& args);

}  // namespace bench

// A measured sweep on one or more GPUs (docs/measuring.md).
#pragma once

#include "bench/cli.hpp"
#include "roofline/plan.hpp"

namespace bench {

// Measures the plan on the selected GPUs, one result folder each; returns the exit code.
int run_measure(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                const char* argv0);

}  // namespace bench

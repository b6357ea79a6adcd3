// A measured sweep on one or more GPUs (docs/measuring.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/app/cli.hpp"
#include "roofline/plan.hpp"

namespace bench {

// The sweep's part of env.json: model, phases, operators, grid, implementations, allowed variants, stopping rules.
nlohmann::json sweep_json(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan);

// Measures the plan on the selected GPUs, one result folder each; returns the exit code.
// `args` are the command line's arguments (for --gpu all, which runs one process per GPU with the same arguments).
int run_measure(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan,
                const char* argv0, const std::vector<std::string>& args);

}  // namespace bench

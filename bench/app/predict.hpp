// bench_llama --predict and --list: the parts of the program that need no GPU.
#pragma once

#include <ostream>
#include <string>

#include "bench/app/cli.hpp"
#include "roofline/plan.hpp"

namespace bench {

// Writes the predicted points of the whole plan for --spec into the result folder; returns that folder.
std::string run_predict(const Options& options, const roofline::ModelConfig& model, const roofline::Plan& plan);

// Prints the planned points, one line each, and which of them share a measurement.
void print_plan(std::ostream& out, const roofline::ModelConfig& model, const roofline::Plan& plan);

// Prints the hand-written variants (--list-variants): name, lowest and highest compute capability, whether
// --allow-variants allows it; in the table's order, which is the order `hand` prefers them in.
void print_variants(std::ostream& out, const AllowedVariants& allowed);

// Prints the datasheet table (--spec list).
void print_specs(std::ostream& out);

}  // namespace bench

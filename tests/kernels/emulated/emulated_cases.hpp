// The shapes every emulated kernel test runs (tiny, odd, tile-multiple, decode, Medusa, grouped-query and
// prefill-attention shapes of small Llama-structured models), and one variant's run on one of them: twice on one
// garbage-filled workspace, under two schedules, with the emulator's findings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulator/emulator.hpp"
#include "kernels/gemm_args.cuh"
#include "roofline/problem.hpp"

namespace emulated {

inline constexpr int kSm = 80;  // the emulated architecture: sm_80's instructions, which sm_86 and sm_89 run the same
inline constexpr int kSmCount = 3;  // odd, so stream-K ranges and split tiles fall unevenly

struct Case {
  std::string shape_class;  // tiny, odd, tiles, decode, medusa, gqa, prefill attention
  std::string name;
  roofline::GemmProblem problem;
};

std::vector<Case> cases(roofline::Dtype dtype);
const Case& case_named(const std::vector<Case>& all, const std::string& name);

// A variant of kernels::gemm_variants() or of the test-only table, by name.
const kernels::GemmVariant& variant_named(const std::string& name);

struct Outcome {
  // Relative errors of the two runs (NaN: an output never written; the second run is skipped if the first fails).
  double first = 0, second = 0;
  int runs = 0;
  cudaError_t status = cudaSuccess;
  std::vector<cuda_emu::Diagnostic> findings;
};
// Runs `variant` on `c` twice on one workspace filled with garbage, under seeds `seed` and `seed + 1`.
Outcome run_twice(const kernels::GemmVariant& variant, const Case& c, std::uint64_t seed);

}  // namespace emulated

// How close a hand-written kernel's output must be to the reference: ||out - ref|| / ||ref|| at most tolerance(dtype).
// Outputs are about N(0,1) (the inputs are A ~ N(0,1), B ~ N(0,1) / sqrt(K)), so the error is dominated by rounding
// the output: about 3e-4 (rms) for fp16 and 2.3e-3 for bf16. The tolerance is several times that, and far below what
// a wrong kernel produces (a skipped 16-wide slice of K = 128 already gives 0.35). bench_llama's validation against
// cuBLAS and the emulated kernel tests against a CPU reference use this one rule.
#pragma once

#include "roofline/problem.hpp"

namespace bench {

inline double tolerance(roofline::Dtype dtype) { return dtype == roofline::Dtype::kF16 ? 2e-3 : 1.6e-2; }

}  // namespace bench

// The hand-written variants bench_llama knows: the kernels' table, plus the test-only variants when the environment
// says BENCH_LLAMA_TEST_VARIANTS=1 (for the reliability tests; never picked by `hand`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/sweep/variant_list.hpp"
#include "kernels/gemm_args.cuh"

namespace bench {

const std::vector<kernels::GemmVariant>& variants();

// The variant `impl` means for a problem on a device of compute capability `sm` (major * 10 + minor): for "hand", the
// first of the table that is allowed and supports and suits it; for a variant's name, that variant if it is allowed
// and supports it. nullptr, with *why, when none can run it (saying so when --allow-variants left out the variants
// that would have). Needs no GPU: supports() and suits() read shapes, strides and pointer alignment only (a null
// pointer, as gemm_args() leaves them, is aligned).
const kernels::GemmVariant* choose_variant(const kernels::GemmArgs& args, const std::string& impl, int sm,
                                           std::string* why, const AllowedVariants& allowed = std::nullopt);

}  // namespace bench

// The hand-written variants as the command line and --list-variants see them: names, where they run, their rank. No
// CUDA header, so that the GPU-free modes also build without the CUDA Toolkit (a build with no kernels has none).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace bench {

// The variants a run may launch (--allow-variants): empty optional, every variant of the table; otherwise only the
// named ones (an empty list: none). A variant that has never run on this GPU, or failed its test there, is kept out of
// a sweep this way, so that `hand` cannot send the sweep's points to it.
using AllowedVariants = std::optional<std::vector<std::string>>;
inline bool variant_allowed(const AllowedVariants& allowed, const std::string& name) {
  return !allowed || std::find(allowed->begin(), allowed->end(), name) != allowed->end();
}

struct VariantEntry {
  std::string name;
  int min_sm = 0, max_sm = 0;  // max_sm 0: no upper bound
  int rank = 0;
};

// The variants of this build, in the table's order (bench/sweep/variants.cpp); none in a build without CUDA
// (bench/app/without_cuda.cpp).
std::vector<VariantEntry> variant_list();

}  // namespace bench

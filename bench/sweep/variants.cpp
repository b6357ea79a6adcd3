#include "bench/sweep/variants.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "kernels/test_variants.cuh"
#include "kernels/variants.cuh"

namespace bench {

const std::vector<kernels::GemmVariant>& variants() {
  static const std::vector<kernels::GemmVariant> all = [] {
    std::vector<kernels::GemmVariant> table = kernels::gemm_variants();
    const char* test = std::getenv("BENCH_LLAMA_TEST_VARIANTS");
    if (test && std::string(test) == "1") {
      const auto& extra = kernels::test_gemm_variants();
      table.insert(table.end(), extra.begin(), extra.end());
    }
    return table;
  }();
  return all;
}

std::vector<VariantEntry> variant_list() {
  std::vector<VariantEntry> list;
  for (const auto& v : variants()) list.push_back({v.name, v.min_sm, v.max_sm, v.rank});
  return list;
}

const kernels::GemmVariant* choose_variant(const kernels::GemmArgs& args, const std::string& impl, int sm,
                                           std::string* why, const AllowedVariants& allowed) {
  std::string left_out;  // variants `hand` would have picked, had --allow-variants allowed them
  for (const auto& v : variants()) {
    if (impl != "hand" && impl != v.name) continue;
    const bool arch_ok = v.min_sm <= sm && (v.max_sm == 0 || sm <= v.max_sm);
    const std::string unsupported = arch_ok ? v.supports(args, sm) : "not built for sm_" + std::to_string(sm);
    if (impl != "hand") {  // a variant asked for by name: it runs if it may and can
      if (!variant_allowed(allowed, v.name)) {
        *why = std::string(v.name) + " is left out by --allow-variants";
        return nullptr;
      }
      if (unsupported.empty()) return &v;
      *why = std::string(v.name) + " does not support this problem: " + unsupported;
      return nullptr;
    }
    if (unsupported.empty() && v.suits(args)) {
      if (variant_allowed(allowed, v.name)) return &v;
      left_out += (left_out.empty() ? "" : ", ") + std::string(v.name);
    }
  }
  if (!left_out.empty()) {
    *why = "every hand-written variant that suits this problem on sm_" + std::to_string(sm) +
           " is left out by --allow-variants (" + left_out + ")";
  } else {
    *why = "no hand-written variant supports this problem on sm_" + std::to_string(sm);
  }
  return nullptr;
}

}  // namespace bench

#include "bench/variants.hpp"

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

const kernels::GemmVariant* choose_variant(const kernels::GemmArgs& args, const std::string& impl, int sm,
                                           std::string* why) {
  for (const auto& v : variants()) {
    if (impl != "hand" && impl != v.name) continue;
    const bool arch_ok = v.min_sm <= sm && (v.max_sm == 0 || sm <= v.max_sm);
    const std::string unsupported = arch_ok ? v.supports(args, sm) : "not built for sm_" + std::to_string(sm);
    if (impl != "hand") {  // a variant asked for by name: it runs if it can
      if (unsupported.empty()) return &v;
      *why = std::string(v.name) + " does not support this problem: " + unsupported;
      return nullptr;
    }
    if (unsupported.empty() && v.suits(args)) return &v;
  }
  *why = "no hand-written variant supports this problem on sm_" + std::to_string(sm);
  return nullptr;
}

}  // namespace bench

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

}  // namespace bench

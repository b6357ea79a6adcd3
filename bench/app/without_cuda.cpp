// bench_llama built without the CUDA Toolkit (the configure step found no nvcc, or BENCH_LLAMA_CUDA=OFF): the GPU-free
// modes (--predict, --list, --spec, --schema) work as in the full build; there are no kernels to list and nothing
// can be measured, and the measured mode says how to get a build that can.
#include "bench/app/errors.hpp"
#include "bench/app/measured_run.hpp"
#include "bench/sweep/variant_list.hpp"

namespace bench {

std::vector<VariantEntry> variant_list() { return {}; }

int run_measure(const Options&, const roofline::ModelConfig&, const roofline::Plan&, const char*,
                const std::vector<std::string>&) {
  throw DeviceError(
      "this bench_llama was built without the CUDA Toolkit (no nvcc when it was configured), so it cannot measure; "
      "it predicts (--predict --spec a40), lists the points (--list) and prints the CSV columns (--schema). To "
      "measure, install the CUDA Toolkit 12 or newer and build again (tools/build.sh)");
}

}  // namespace bench

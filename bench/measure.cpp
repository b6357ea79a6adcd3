#include "bench/measure.hpp"

#include "bench/device.hpp"
#include "bench/errors.hpp"

namespace bench {

int run_measure(const Options& options, const roofline::ModelConfig&, const roofline::Plan&, const char*) {
  selected_devices(options.all_gpus, options.gpu);
  throw DeviceError("measurement on the GPU is not built yet (issue 3); use --predict");
}

}  // namespace bench

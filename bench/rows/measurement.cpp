#include "bench/rows/measurement.hpp"

#include <new>

#include "bench/gpu/cuda_check.hpp"

namespace bench {

Measurement failed_measurement(const std::exception& e, bool* sticky) {
  Measurement m;
  m.status = roofline::kStatusError;
  *sticky = false;
  if (const auto* cuda = dynamic_cast<const CudaError*>(&e)) {
    *sticky = cuda->sticky();
    if (cuda->out_of_memory()) {
      m.status = roofline::kStatusSkipped;
      m.reason = "out of device memory: " + std::string(e.what());
      return m;
    }
    m.reason = e.what();
  } else if (dynamic_cast<const std::bad_alloc*>(&e)) {
    m.reason = "out of host memory (std::bad_alloc) while preparing or timing the point";
  } else {
    m.reason = std::string("internal error while measuring: ") + e.what();
  }
  return m;
}

}  // namespace bench

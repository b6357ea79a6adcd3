// The clean cold-L2 flush of cold mode (docs/measuring.md): enqueued before each sample's start event, so that every
// sample reads its operands from DRAM.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "bench/gpu/cuda_raii.hpp"

namespace bench {

// Empties L2 and leaves it clean (kernels::l2_flush): rewrites one buffer of twice its size, then reads another.
class L2Flusher {
 public:
  L2Flusher(std::int64_t l2_bytes, int sm_count);
  void flush(cudaStream_t stream) const;
  // Device memory the flusher holds.
  std::int64_t bytes() const { return scratch_.bytes() + clean_.bytes(); }

 private:
  DeviceBuffer scratch_, clean_, sink_;
  int sm_count_;
};

}  // namespace bench

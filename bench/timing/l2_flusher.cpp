#include "bench/timing/l2_flusher.hpp"

#include <algorithm>

#include "bench/app/device_kind.hpp"
#include "kernels/roofs.cuh"

namespace bench {

L2Flusher::L2Flusher(std::int64_t l2_bytes, int sm_count)
    : scratch_(std::max<std::int64_t>(2 * l2_bytes, kHarnessWork.flush_min_bytes) / 16 * 16),
      clean_(scratch_.bytes()),
      sink_(16),
      sm_count_(sm_count) {
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(scratch_.get(), 0, static_cast<std::size_t>(scratch_.bytes())));
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(clean_.get(), 1, static_cast<std::size_t>(clean_.bytes())));
}

void L2Flusher::flush(cudaStream_t stream) const {
  BENCH_LLAMA_CUDA_CHECK(
      kernels::l2_flush(scratch_.get(), clean_.get(), scratch_.bytes(), sink_.as<std::uint32_t>(), sm_count_, stream));
}

}  // namespace bench

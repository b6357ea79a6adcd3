#include "bench/point/validate.hpp"

#include <cmath>
#include <limits>

#include "kernels/fill.cuh"

namespace bench {

double relative_error(const void* out, const void* ref, std::int64_t count, kernels::Element element,
                      cudaStream_t stream) {
  DeviceBuffer sums(2 * sizeof(double));
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(sums.get(), 0, 2 * sizeof(double), stream));
  BENCH_LLAMA_CUDA_CHECK(kernels::squared_error(out, ref, count, element, sums.as<double>(), stream));
  double host[2] = {0, 0};
  BENCH_LLAMA_CUDA_CHECK(cudaMemcpyAsync(host, sums.get(), sizeof host, cudaMemcpyDeviceToHost, stream));
  BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (std::isnan(host[0])) return std::numeric_limits<double>::quiet_NaN();
  if (host[1] == 0) return host[0] == 0 ? 0 : std::numeric_limits<double>::infinity();
  return std::sqrt(host[0] / host[1]);
}

}  // namespace bench

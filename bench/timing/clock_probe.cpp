#include "bench/timing/clock_probe.hpp"

#include <algorithm>
#include <cstdint>

#include "bench/timing/stats.hpp"

namespace bench {

ClockProbe::ClockProbe(int sm_count)
    : sm_count_(sm_count),
      before_(kernels::kClockProbeSlots * sizeof(kernels::ClockStamp)),
      after_(kernels::kClockProbeSlots * sizeof(kernels::ClockStamp)) {}

void ClockProbe::before(cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(before_.get(), 0, static_cast<std::size_t>(before_.bytes()), stream));
  BENCH_LLAMA_CUDA_CHECK(kernels::clock_probe(before_.as<kernels::ClockStamp>(), sm_count_, stream));
}

void ClockProbe::after(cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(after_.get(), 0, static_cast<std::size_t>(after_.bytes()), stream));
  BENCH_LLAMA_CUDA_CHECK(kernels::clock_probe(after_.as<kernels::ClockStamp>(), sm_count_, stream));
}

std::optional<double> ClockProbe::mean_mhz(cudaStream_t stream) const {
  std::vector<kernels::ClockStamp> before(kernels::kClockProbeSlots), after(kernels::kClockProbeSlots);
  BENCH_LLAMA_CUDA_CHECK(
      cudaMemcpyAsync(before.data(), before_.get(), before_.bytes(), cudaMemcpyDeviceToHost, stream));
  BENCH_LLAMA_CUDA_CHECK(cudaMemcpyAsync(after.data(), after_.get(), after_.bytes(), cudaMemcpyDeviceToHost, stream));
  BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));
  return probe_clock_mhz(before, after);
}

std::optional<double> probe_clock_mhz(const std::vector<kernels::ClockStamp>& before,
                                      const std::vector<kernels::ClockStamp>& after) {
  constexpr std::uint64_t kMinInterval = 1'000'000;  // ns
  std::vector<double> mhz;
  for (std::size_t sm = 0; sm < std::min(before.size(), after.size()); ++sm) {
    const kernels::ClockStamp& a = before[sm];
    const kernels::ClockStamp& b = after[sm];
    if (a.ns == 0 || b.ns == 0 || b.ns < a.ns + kMinInterval || b.cycles <= a.cycles) continue;
    mhz.push_back(static_cast<double>(b.cycles - a.cycles) * 1e3 / static_cast<double>(b.ns - a.ns));
  }
  if (mhz.empty()) return std::nullopt;
  return summarize(mhz).median;
}

}  // namespace bench

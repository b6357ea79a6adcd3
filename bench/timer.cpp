#include "bench/timer.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/roofs.cuh"

namespace bench {

L2Flusher::L2Flusher(std::int64_t l2_bytes, int sm_count)
    : scratch_(std::max<std::int64_t>(2 * l2_bytes, 64 << 20) / 16 * 16),
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

double warm_up(const Launch& launch, cudaStream_t stream, const TimingPlan& plan) {
  CudaEvent start, stop;
  double total = 0;
  int launches = 0;
  while (launches < plan.warmup_launches || total < plan.warmup_min_seconds) {
    total += time_sample(launch, stream, plan, start, stop) * plan.launches_per_sample;
    launches += plan.launches_per_sample;
    if (launches >= 1000) break;  // a kernel of a few microseconds: enough
  }
  return total / launches;
}

double time_sample(const Launch& launch, cudaStream_t stream, const TimingPlan& plan, const CudaEvent& start,
                   const CudaEvent& stop) {
  if (plan.flusher) plan.flusher->flush(stream);
  BENCH_LLAMA_CUDA_CHECK(cudaEventRecord(start.get(), stream));
  for (int i = 0; i < plan.launches_per_sample; ++i) launch(stream);
  BENCH_LLAMA_CUDA_CHECK(cudaEventRecord(stop.get(), stream));
  BENCH_LLAMA_CUDA_CHECK(cudaEventSynchronize(stop.get()));
  float ms = 0;
  BENCH_LLAMA_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return static_cast<double>(ms) * 1e-3 / plan.launches_per_sample;
}

std::vector<double> time_in_benchmark(benchmark::State& state, const Launch& launch, cudaStream_t stream,
                                      const TimingPlan& plan) {
  CudaEvent start, stop;
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state) {
    const double seconds = time_sample(launch, stream, plan, start, stop);
    state.SetIterationTime(seconds);
    samples.push_back(seconds);
  }
  return samples;
}

int default_repetitions(double seconds) {
  if (!(seconds > 0)) return 10;
  const double wanted = std::ceil(0.25 / seconds);
  return static_cast<int>(std::clamp(wanted, 10.0, 100.0));
}

}  // namespace bench

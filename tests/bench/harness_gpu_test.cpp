// GPU tests of the timing harness itself (label gpu). Without a GPU each test is skipped with the reason, visibly.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <optional>

#include "bench/counters.hpp"
#include "bench/cuda_raii.hpp"
#include "bench/stats.hpp"
#include "bench/timer.hpp"
#include "gpu_test_support.hpp"
#include "kernels/roofs.cuh"

namespace bench {
namespace {

class HarnessGpu : public testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = testing_support::no_gpu_reason(); !why.empty()) GTEST_SKIP() << why;
    BENCH_LLAMA_CUDA_CHECK(cudaGetDeviceProperties(&prop_, 0));
    stream_.emplace();
  }

  double median_seconds(const Launch& launch, const TimingPlan& plan, int samples = 20) {
    CudaEvent start, stop;
    warm_up(launch, stream_->get(), plan);
    std::vector<double> times;
    for (int i = 0; i < samples; ++i) times.push_back(time_sample(launch, stream_->get(), plan, start, stop));
    return summarize(times).median;
  }

  cudaDeviceProp prop_{};
  std::optional<CudaStream> stream_;  // created in SetUp, once a device is known to exist
};

// A copy of known bytes, timed by the harness, moves data at a rate near the read roof measured the same way: the
// harness times what it should (not launch overhead, not a skipped kernel).
TEST_F(HarnessGpu, CopyOfKnownBytesRunsNearTheMeasuredBandwidth) {
  const std::int64_t bytes = std::int64_t{1} << 30;
  DeviceBuffer src(bytes), dst(bytes), sink(64);
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(src.get(), 1, bytes));
  TimingPlan plan;
  const double read_s = median_seconds(
      [&](cudaStream_t s) {
        BENCH_LLAMA_CUDA_CHECK(
            kernels::dram_read(src.get(), bytes, sink.as<std::uint32_t>(), prop_.multiProcessorCount, s));
      },
      plan);
  const double copy_s = median_seconds(
      [&](cudaStream_t s) {
        BENCH_LLAMA_CUDA_CHECK(kernels::dram_copy(dst.get(), src.get(), bytes, prop_.multiProcessorCount, s));
      },
      plan);
  const double read_gbps = bytes / read_s / 1e9, copy_gbps = 2.0 * bytes / copy_s / 1e9;
  RecordProperty("read_gbps", std::to_string(read_gbps));
  RecordProperty("copy_gbps", std::to_string(copy_gbps));
  EXPECT_GT(copy_gbps, 0.75 * read_gbps) << "read " << read_gbps << " GB/s, copy " << copy_gbps << " GB/s";
  EXPECT_LT(copy_gbps, 1.10 * read_gbps) << "a copy cannot beat reading: the timing is wrong";
}

// The flush really evicts: a buffer that fits in L2 reads faster warm (right after being read) than after a flush.
TEST_F(HarnessGpu, FlushEvictsL2) {
  const std::int64_t bytes = (prop_.l2CacheSize / 4) / 16 * 16;
  DeviceBuffer data(bytes), sink(64);
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(data.get(), 1, bytes));
  L2Flusher flusher(prop_.l2CacheSize, prop_.multiProcessorCount);
  // A plain (caching) read, issued twice per sample so the second one finds the data in L2 when warm.
  auto read = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(
        kernels::cached_read(data.get(), bytes, sink.as<std::uint32_t>(), prop_.multiProcessorCount, s));
  };
  TimingPlan warm;
  warm.launches_per_sample = 4;
  TimingPlan cold;
  cold.flusher = &flusher;
  const double warm_s = median_seconds(read, warm), cold_s = median_seconds(read, cold);
  RecordProperty("warm_us", std::to_string(warm_s * 1e6));
  RecordProperty("cold_us", std::to_string(cold_s * 1e6));
  EXPECT_GT(cold_s, 1.3 * warm_s) << "cold " << cold_s * 1e6 << " us, warm " << warm_s * 1e6 << " us";
}

// The flush leaves L2 clean: a read-only kernel right after it, large enough to evict all of L2, makes (almost) no DRAM
// writes. A flush that only rewrote its buffer would leave about one L2 of dirty lines, written back inside that read
// (and inside every timed kernel of a cold run). Needs hardware counters; skips, saying why, where they are refused.
TEST_F(HarnessGpu, FlushLeavesL2Clean) {
  std::string why;
  auto profiler = CounterProfiler::create(&why);
  if (!profiler) GTEST_SKIP() << counters_refused_hint(why);
  const std::int64_t bytes = (2 * static_cast<std::int64_t>(prop_.l2CacheSize)) / 16 * 16;
  DeviceBuffer data(bytes), sink(64);
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(data.get(), 1, bytes));
  L2Flusher flusher(prop_.l2CacheSize, prop_.multiProcessorCount);
  const Launch read = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(
        kernels::cached_read(data.get(), bytes, sink.as<std::uint32_t>(), prop_.multiProcessorCount, s));
  };
  const auto values = profiler->measure(read, stream_->get(), &flusher, &why);
  ASSERT_TRUE(values) << why;
  RecordProperty("dram_write_bytes", std::to_string(values->dram_write_bytes));
  RecordProperty("dram_read_bytes", std::to_string(values->dram_read_bytes));
  EXPECT_LT(values->dram_write_bytes, 0.02 * prop_.l2CacheSize)
      << "a read-only kernel after the flush wrote " << values->dram_write_bytes / 1e6 << " MB to DRAM";
  EXPECT_GT(values->dram_read_bytes, 0.9 * static_cast<double>(bytes))
      << "the read did not come from DRAM: the flush did not evict";
}

// An error inside a timed launch surfaces as a CudaError with its name, not a hang or a time.
TEST_F(HarnessGpu, InjectedErrorIsReportedNotTimed) {
  TimingPlan plan;
  CudaEvent start, stop;
  const Launch bad = [](cudaStream_t s) {
    // A launch with an invalid configuration (odd byte count) fails at once.
    BENCH_LLAMA_CUDA_CHECK(kernels::dram_read(nullptr, 15, nullptr, 1, s));
  };
  try {
    time_sample(bad, stream_->get(), plan, start, stop);
    FAIL() << "no error reported";
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("cudaErrorInvalidValue"), std::string::npos) << e.what();
    EXPECT_FALSE(e.sticky());
  }
  // The stream is still usable afterwards.
  EXPECT_EQ(cudaStreamSynchronize(stream_->get()), cudaSuccess);
}

}  // namespace
}  // namespace bench

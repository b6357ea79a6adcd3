// GPU tests of the timing harness itself (label gpu). Without a GPU each test is skipped with the reason, visibly.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "bench/gpu/counters.hpp"
#include "bench/gpu/cuda_raii.hpp"
#include "bench/gpu/nvml.hpp"
#include "bench/timing/clock_probe.hpp"
#include "bench/timing/sampler.hpp"
#include "bench/timing/stats.hpp"
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

// An exception inside a gated sample releases the gate at once: the stream drains in far less than the gate's timeout.
TEST_F(HarnessGpu, AFailedLaunchReleasesTheGate) {
  StreamGate gate;
  TimingPlan plan;
  plan.gate = &gate;
  CudaEvent start, stop;
  const Launch bad = [](cudaStream_t s) { BENCH_LLAMA_CUDA_CHECK(kernels::dram_read(nullptr, 15, nullptr, 1, s)); };
  const auto before = std::chrono::steady_clock::now();
  EXPECT_THROW(time_sample(bad, stream_->get(), plan, start, stop), CudaError);
  EXPECT_EQ(cudaStreamSynchronize(stream_->get()), cudaSuccess);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  EXPECT_LT(waited, 0.5) << "the stream waited for the gate's timeout: the gate was not released";
  EXPECT_FALSE(gate.timed_out());
}

// The gate really holds: the host sleeps 50 ms between queuing a sample and releasing it, and the events do not see it.
TEST_F(HarnessGpu, TheGateHoldsTheStreamUntilReleased) {
  DeviceBuffer data(4096), sink(64);
  const Launch tiny = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(kernels::cached_read(data.get(), 4096, sink.as<std::uint32_t>(), 1, s));
  };
  tiny(stream_->get());  // loaded before any gate holds the stream
  stream_->synchronize();
  StreamGate gate;
  CudaEvent start, stop;
  gate.hold(stream_->get());
  BENCH_LLAMA_CUDA_CHECK(cudaEventRecord(start.get(), stream_->get()));
  tiny(stream_->get());
  BENCH_LLAMA_CUDA_CHECK(cudaEventRecord(stop.get(), stream_->get()));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(cudaEventQuery(stop.get()), cudaErrorNotReady) << "the stream ran while the gate should hold it";
  gate.release();
  BENCH_LLAMA_CUDA_CHECK(cudaEventSynchronize(stop.get()));
  float ms = 0;
  BENCH_LLAMA_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  EXPECT_LT(ms, 1.0f) << "the host's 50 ms sleep is inside the events";
  EXPECT_FALSE(gate.timed_out());
}

// A gate nobody releases gives up after its timeout and says so; time_sample then turns gating off and retakes the
// sample without it.
TEST_F(HarnessGpu, AGateNobodyReleasesTimesOut) {
  StreamGate gate(20'000'000);  // 20 ms
  gate.hold(stream_->get());
  stream_->synchronize();  // returns once the gate gave up
  EXPECT_TRUE(gate.timed_out());
  gate.release();
  EXPECT_TRUE(gate.enabled());  // the gate itself only reports; time_sample decides
}

// A kernel never launched before in this process, warmed up under a gate: its first launch is not gated, so CUDA's
// lazy loading of its code cannot wait behind a held stream, and the gate stays on.
TEST_F(HarnessGpu, AFirstLaunchUnderTheGateDoesNotDeadlock) {
  const int blocks = prop_.multiProcessorCount;
  DeviceBuffer sink(blocks * kernels::kMmaPeakWarpsPerBlock * sizeof(float));
  const Launch fresh = [&](cudaStream_t s) {  // the bf16 rotating peak loop: no other test of this binary runs it
    BENCH_LLAMA_CUDA_CHECK(kernels::mma_peak_rotating(kernels::Element::kBF16, blocks, 64, sink.as<float>(), s));
  };
  StreamGate gate;
  TimingPlan plan;
  plan.gate = &gate;
  const auto before = std::chrono::steady_clock::now();
  warm_up(fresh, stream_->get(), plan);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  EXPECT_TRUE(gate.enabled()) << gate.why();
  EXPECT_LT(waited, 0.9) << "the warm-up waited out a gate";
}

// A tiny kernel timed one launch at a time: with the gate, the events see only the GPU's time (a few microseconds);
// the batched time per kernel is no longer than the single-launch time.
TEST_F(HarnessGpu, GatedAndBatchedTimesOfATinyKernel) {
  DeviceBuffer data(4096), sink(64);
  BENCH_LLAMA_CUDA_CHECK(cudaMemset(data.get(), 1, 4096));
  const Launch tiny = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(kernels::cached_read(data.get(), 4096, sink.as<std::uint32_t>(), 1, s));
  };
  StreamGate gate;
  TimingPlan single;
  single.gate = &gate;
  TimingPlan batched = single;
  batched.launches_per_sample = 20;
  const double single_s = median_seconds(tiny, single), batched_s = median_seconds(tiny, batched);
  RecordProperty("single_us", std::to_string(single_s * 1e6));
  RecordProperty("batched_us", std::to_string(batched_s * 1e6));
  EXPECT_LT(single_s, 20e-6) << "a 4 KiB read took " << single_s * 1e6 << " us between its events";
  EXPECT_LE(batched_s, single_s * 1.05) << "batched " << batched_s * 1e6 << " us, single " << single_s * 1e6 << " us";
  const CudaGraph graph(tiny, 20, stream_->get());
  TimingPlan graphed = single;
  graphed.kernels_per_launch = 20;
  const double graph_s = median_seconds([&](cudaStream_t s) { graph.launch(s); }, graphed);
  RecordProperty("graph_us", std::to_string(graph_s * 1e6));
  EXPECT_LE(graph_s, single_s * 1.05);
}

// The clock probe agrees with NVML's reading of the SM clock under a steady load (the MMA loop), within 10 %.
TEST_F(HarnessGpu, ClockProbeAgreesWithNvml) {
  const int blocks = prop_.multiProcessorCount * 4;
  DeviceBuffer sink(blocks * kernels::kMmaPeakWarpsPerBlock * sizeof(float));
  const Launch load = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(kernels::mma_peak(kernels::Element::kF16, blocks, 16384, sink.as<float>(), s));
  };
  TimingPlan plan;
  warm_up(load, stream_->get(), plan);
  ClockProbe probe(prop_.multiProcessorCount);
  probe.before(stream_->get());
  for (int i = 0; i < 20; ++i) load(stream_->get());
  probe.after(stream_->get());
  const std::optional<double> mhz = probe.mean_mhz(stream_->get());
  ASSERT_TRUE(mhz) << "no SM was stamped twice, or the load took under 1 ms";
  RecordProperty("probe_mhz", std::to_string(*mhz));
  EXPECT_GT(*mhz, 200);
  EXPECT_LT(*mhz, 4000);
  Nvml nvml;
  if (!nvml.available()) GTEST_SKIP() << "NVML unavailable (" << nvml.why() << "): probe " << *mhz << " MHz unchecked";
  char bus_id[32] = {};
  BENCH_LLAMA_CUDA_CHECK(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, 0));
  load(stream_->get());  // read NVML while the load runs
  const Telemetry reading = nvml.read(nvml.device_by_pci_bus_id(bus_id));
  stream_->synchronize();
  ASSERT_TRUE(reading.sm_clock_mhz);
  RecordProperty("nvml_mhz", std::to_string(*reading.sm_clock_mhz));
  EXPECT_NEAR(*mhz, *reading.sm_clock_mhz, 0.1 * *reading.sm_clock_mhz);
}

// The check that the batched time is the kernel's, in small: the batched event time of a short DRAM-bound kernel
// (cold, one copy per launch) agrees with the GPU time the counters report for one launch, within 15 %. Skips where
// counters are refused.
TEST_F(HarnessGpu, BatchedEventTimeAgreesWithCounterDuration) {
  std::string why;
  auto profiler = CounterProfiler::create(&why);
  if (!profiler) GTEST_SKIP() << counters_refused_hint(why);
  constexpr int kCopies = 8;
  const std::int64_t bytes = 8 << 20;  // 8 MiB: a few microseconds at DRAM speed
  std::vector<DeviceBuffer> copies;
  for (int i = 0; i < kCopies; ++i) {
    copies.emplace_back(bytes);
    BENCH_LLAMA_CUDA_CHECK(cudaMemset(copies.back().get(), 1, bytes));
  }
  DeviceBuffer sink(64);
  L2Flusher flusher(prop_.l2CacheSize, prop_.multiProcessorCount);
  int next = 0;
  const Launch rotating = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(
        kernels::dram_read(copies[next].get(), bytes, sink.as<std::uint32_t>(), prop_.multiProcessorCount, s));
    next = (next + 1) % kCopies;
  };
  StreamGate gate;
  TimingPlan plan;
  plan.flusher = &flusher;
  plan.gate = &gate;
  plan.launches_per_sample = kCopies;
  const double event_s = median_seconds(rotating, plan);
  const Launch one = [&](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(
        kernels::dram_read(copies[0].get(), bytes, sink.as<std::uint32_t>(), prop_.multiProcessorCount, s));
  };
  const auto values = profiler->measure(one, stream_->get(), &flusher, &why);
  ASSERT_TRUE(values) << why;
  RecordProperty("event_us", std::to_string(event_s * 1e6));
  RecordProperty("counted_us", std::to_string(values->duration_ns / 1e3));
  EXPECT_NEAR(event_s * 1e9, values->duration_ns, 0.15 * values->duration_ns);
}

}  // namespace
}  // namespace bench

// The harness's own device code on the emulator, at tiny sizes: the fills and the poison the validation relies on, the
// error reduction that judges a kernel, and the ceiling kernels (DRAM read and copy, the L2 flush, the MMA peaks, the
// clock probe, the stream gate). Values where they have one; no finding anywhere. Label emu.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "emulated_problem.hpp"
#include "emulator/emulator.hpp"
#include "kernels/fill.cuh"
#include "kernels/roofs.cuh"

namespace emulated {
namespace {

using kernels::Element;

class HarnessKernelsEmulated : public testing::Test {
 protected:
  void SetUp() override {
    cuda_emu::reset();
    cuda_emu::device().sm_count = kSms;
  }
  void TearDown() override {
    for (const auto& d : cuda_emu::take_diagnostics()) ADD_FAILURE() << d.message;
  }
  static constexpr int kSms = 2;
};

std::vector<float> halves(const GlobalBuffer& b, std::size_t count) {
  std::vector<float> out(count);
  const auto* h = static_cast<const __half*>(b.get());
  for (std::size_t i = 0; i < count; ++i) out[i] = __half2float(h[i]);
  return out;
}

TEST_F(HarnessKernelsEmulated, FillNormalIsScaledStandardNormalAndDependsOnlyOnTheSeed) {
  constexpr std::size_t n = 5000;  // more than one 256-thread block's worth, not a multiple of it
  GlobalBuffer a(2 * n), b(2 * n), c(2 * n);
  ASSERT_EQ(kernels::fill_normal(a.get(), n, Element::kF16, 2.0f, 7, nullptr), cudaSuccess);
  ASSERT_EQ(kernels::fill_normal(b.get(), n, Element::kF16, 2.0f, 7, nullptr), cudaSuccess);
  ASSERT_EQ(kernels::fill_normal(c.get(), n, Element::kF16, 2.0f, 8, nullptr), cudaSuccess);
  EXPECT_EQ(std::memcmp(a.get(), b.get(), 2 * n), 0) << "the same seed gives the same values";
  EXPECT_NE(std::memcmp(a.get(), c.get(), 2 * n), 0) << "another seed gives other values";
  const auto v = halves(a, n);
  double sum = 0, squares = 0;
  int zeros = 0;
  for (float x : v) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    squares += static_cast<double>(x) * x;
    zeros += x == 0.0f;
  }
  const double mean = sum / n, sd = std::sqrt(squares / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.1);  // 5 standard errors of the mean (2 / sqrt(5000) = 0.028)
  EXPECT_NEAR(sd, 2.0, 0.1);
  EXPECT_LT(zeros, 5) << "never (or almost never) zeros: a kernel that skips work must not pass validation";
}

TEST_F(HarnessKernelsEmulated, PoisonMakesEveryElementNaNInEveryType) {
  for (Element e : {Element::kF16, Element::kBF16, Element::kF32}) {
    const std::size_t n = 1000, bytes = static_cast<std::size_t>(kernels::element_bytes(e));
    GlobalBuffer buf(bytes * n);
    ASSERT_EQ(kernels::fill_normal(buf.get(), n, e, 1.0f, 3, nullptr), cudaSuccess);
    ASSERT_EQ(kernels::poison(buf.get(), n, e, nullptr), cudaSuccess);
    for (std::size_t i = 0; i < n; ++i) {
      float x;
      if (e == Element::kF32) {
        std::memcpy(&x, static_cast<char*>(buf.get()) + 4 * i, 4);
      } else if (e == Element::kF16) {
        x = __half2float(static_cast<const __half*>(buf.get())[i]);
      } else {
        x = __bfloat162float(static_cast<const __nv_bfloat16*>(buf.get())[i]);
      }
      ASSERT_TRUE(std::isnan(x)) << "element " << i;
    }
  }
}

TEST_F(HarnessKernelsEmulated, SquaredErrorSumsBothNormsInDouble) {
  constexpr std::size_t n = 3000;
  GlobalBuffer out(2 * n), ref(2 * n), sums(2 * sizeof(double));
  ASSERT_EQ(kernels::fill_normal(out.get(), n, Element::kF16, 1.0f, 11, nullptr), cudaSuccess);
  ASSERT_EQ(kernels::fill_normal(ref.get(), n, Element::kF16, 1.0f, 12, nullptr), cudaSuccess);
  std::memset(sums.get(), 0, sums.bytes());
  ASSERT_EQ(kernels::squared_error(out.get(), ref.get(), n, Element::kF16, static_cast<double*>(sums.get()), nullptr),
            cudaSuccess);
  const auto o = halves(out, n), r = halves(ref, n);
  double error = 0, norm = 0;
  for (std::size_t i = 0; i < n; ++i) {
    error += (static_cast<double>(o[i]) - r[i]) * (static_cast<double>(o[i]) - r[i]);
    norm += static_cast<double>(r[i]) * r[i];
  }
  const auto* got = static_cast<const double*>(sums.get());
  EXPECT_NEAR(got[0], error, 1e-9 * error);
  EXPECT_NEAR(got[1], norm, 1e-9 * norm);
}

TEST_F(HarnessKernelsEmulated, DramCopyCopiesEveryWordAndTheReadsRun) {
  constexpr std::int64_t bytes = 16 * 3000;
  GlobalBuffer src(bytes), dst(bytes), sink(4);
  ASSERT_EQ(kernels::fill_normal(src.get(), bytes / 4, Element::kF32, 1.0f, 5, nullptr), cudaSuccess);
  ASSERT_EQ(kernels::dram_copy(dst.get(), src.get(), bytes, kSms, nullptr), cudaSuccess);
  EXPECT_EQ(std::memcmp(dst.get(), src.get(), bytes), 0);
  EXPECT_EQ(kernels::dram_read(src.get(), bytes, static_cast<std::uint32_t*>(sink.get()), kSms, nullptr), cudaSuccess);
  EXPECT_EQ(kernels::cached_read(src.get(), bytes, static_cast<std::uint32_t*>(sink.get()), kSms, nullptr),
            cudaSuccess);
  EXPECT_EQ(kernels::dram_read(src.get(), bytes - 8, static_cast<std::uint32_t*>(sink.get()), kSms, nullptr),
            cudaErrorInvalidValue)
      << "16-byte words only";
}

TEST_F(HarnessKernelsEmulated, TheFlushWritesEveryWordOfItsScratchOnce) {
  constexpr std::int64_t bytes = 16 * 2000;
  GlobalBuffer scratch(bytes), clean(bytes), sink(4);
  std::memset(scratch.get(), 0, bytes);
  std::memset(clean.get(), 0, bytes);
  ASSERT_EQ(
      kernels::l2_flush(scratch.get(), clean.get(), bytes, static_cast<std::uint32_t*>(sink.get()), kSms, nullptr),
      cudaSuccess);
  const auto* words = static_cast<const int*>(scratch.get());
  for (std::int64_t i = 0; i < bytes / 16; ++i) {
    ASSERT_EQ(words[4 * i], 1) << "word " << i;  // x += 1: a real write to every line of the scratch buffer
    ASSERT_EQ(words[4 * i + 1], 0);
  }
}

TEST_F(HarnessKernelsEmulated, TheMmaPeaksRunTheirRoundsAndWriteAFiniteSumPerWarp) {
  for (Element e : {Element::kF16, Element::kBF16}) {
    const int blocks = 2, iterations = 8;
    GlobalBuffer plain(sizeof(float) * blocks * kernels::kMmaPeakWarpsPerBlock),
        rotating(sizeof(float) * blocks * kernels::kMmaPeakWarpsPerBlock);
    ASSERT_EQ(kernels::mma_peak(e, blocks, iterations, static_cast<float*>(plain.get()), nullptr), cudaSuccess);
    ASSERT_EQ(kernels::mma_peak_rotating(e, blocks, iterations, static_cast<float*>(rotating.get()), nullptr),
              cudaSuccess);
    for (int w = 0; w < blocks * kernels::kMmaPeakWarpsPerBlock; ++w) {
      EXPECT_TRUE(std::isfinite(static_cast<const float*>(plain.get())[w])) << "warp " << w;
      EXPECT_TRUE(std::isfinite(static_cast<const float*>(rotating.get())[w])) << "warp " << w;
      EXPECT_NE(static_cast<const float*>(rotating.get())[w], 0.0f) << "warp " << w;
    }
    EXPECT_EQ(kernels::mma_peak_rotating(e, blocks, iterations + 1, static_cast<float*>(rotating.get()), nullptr),
              cudaErrorInvalidValue)
        << "rounds of kMmaPeakRotatingSets only";
  }
}

TEST_F(HarnessKernelsEmulated, TheClockProbeStampsEverySm) {
  GlobalBuffer stamps(sizeof(kernels::ClockStamp) * kernels::kClockProbeSlots);
  std::memset(stamps.get(), 0, stamps.bytes());
  ASSERT_EQ(kernels::clock_probe(static_cast<kernels::ClockStamp*>(stamps.get()), kSms, nullptr), cudaSuccess);
  const auto* s = static_cast<const kernels::ClockStamp*>(stamps.get());
  for (int sm = 0; sm < kSms; ++sm) EXPECT_GT(s[sm].ns, 0u) << "SM " << sm;
  EXPECT_EQ(s[kSms].ns, 0u);
}

TEST_F(HarnessKernelsEmulated, TheStreamGateOpensOnItsFlagAndGivesUpAfterItsTimeout) {
  GlobalBuffer flag(sizeof(int)), timed_out(sizeof(int));
  auto* f = static_cast<int*>(flag.get());
  auto* t = static_cast<int*>(timed_out.get());
  *f = 1;
  *t = 0;
  ASSERT_EQ(kernels::stream_gate(f, t, 1'000'000'000, nullptr), cudaSuccess);
  EXPECT_EQ(*t, 0) << "released before it started: it returns at once";
  *f = 0;
  ASSERT_EQ(kernels::stream_gate(f, t, 2'000'000, nullptr), cudaSuccess);  // 2 ms, nobody releases it
  EXPECT_EQ(*t, 1);
}

}  // namespace
}  // namespace emulated

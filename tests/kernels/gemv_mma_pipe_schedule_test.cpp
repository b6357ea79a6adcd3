// gemv_mma_pipe without a GPU: its schedule (stream-K ranges, segments, warps, the cp.async ring, lanes, fragments,
// split tiles and their counters) is replayed on the CPU with the kernel's own index functions
// (kernels/decode_schedule.cuh, kernels/split_counter.cuh), for tiny, odd, tile-multiple and Llama 33B shapes. It
// proves every element of B is copied exactly once, every output written exactly once, and, through the PTX layout of
// m16n8k16 (mma_emulation.hpp), that the fragments the kernel builds compute C = A * B^T exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/decode_schedule.cuh"
#include "kernels/split_counter.cuh"
#include "mma_emulation.hpp"
#include "stream_k_emulation.hpp"

namespace {

using kernels::detail::clamp_index;
using kernels::detail::GemvPipe;
using kernels::detail::StreamK;
using kernels_test::WarpAccumulators;
using kernels_test::WarpFragments;

struct Problem {
  std::int64_t m, n, k, z;  // z: (batch, head) matrices
};

// What gemv_mma_pipe's GemvOp does, on small-integer data: C = A * B^T per z, B stored [N x K].
class GemvModel {
 public:
  static constexpr int kWarps = GemvPipe::kWarps, kStages = GemvPipe::STAGES, kTiles = GemvPipe::NT;
  using BlockAcc = std::array<WarpAccumulators, kTiles>;

  explicit GemvModel(const Problem& p) : p_(p), n_tiles_((p.n + GemvPipe::BLOCK_N - 1) / GemvPipe::BLOCK_N) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> small(-3, 3);
    a_.resize(static_cast<std::size_t>(p.z * p.m * p.k));
    b_.resize(static_cast<std::size_t>(p.z * p.n * p.k));
    for (double& x : a_) x = small(rng);
    for (double& x : b_) x = small(rng);
  }

  StreamK stream_k(std::int64_t grid) const {  // as launch_typed() builds it
    StreamK sk{n_tiles_ * p_.z, (p_.k + 31) / 32, 0};
    sk.blocks = std::min(grid, sk.units());
    return sk;
  }

  void reset() {
    c_.assign(static_cast<std::size_t>(p_.z * p_.m * p_.n), 0.0);
    stores_.assign(c_.size(), 0);
    b_copies_.assign(b_.size(), 0);
  }

  // Every output stored once and exact; every element of B copied once.
  void check() const {
    for (std::int64_t z = 0; z < p_.z; ++z) {
      for (std::int64_t m = 0; m < p_.m; ++m) {
        for (std::int64_t n = 0; n < p_.n; ++n) {
          double want = 0;
          for (std::int64_t k = 0; k < p_.k; ++k) want += a(z, m, k) * b(z, n, k);
          const std::size_t i = static_cast<std::size_t>((z * p_.m + m) * p_.n + n);
          ASSERT_EQ(stores_[i], 1) << "C[" << z << "][" << m << "][" << n << "] stored " << stores_[i] << " times";
          ASSERT_EQ(c_[i], want) << "C[" << z << "][" << m << "][" << n << "]";
        }
      }
    }
    for (std::size_t i = 0; i < b_copies_.size(); ++i) ASSERT_EQ(b_copies_[i], 1) << "B element " << i;
  }

  // GemvOp::copy by every lane, then GemvOp::mma.
  void mma_chunk(std::int64_t tile, std::int64_t chunk, BlockAcc& acc) {
    using Piece = std::array<double, 8>;  // a lane's 16 bytes
    const std::int64_t z = tile / n_tiles_, n0 = (tile % n_tiles_) * GemvPipe::BLOCK_N;
    const int row_groups = p_.m <= 8 ? 1 : 2;
    std::array<std::array<Piece, GemvPipe::NT>, 32> bp{};
    std::array<std::array<Piece, 2>, 32> ap{};
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      const std::int64_t k = kernels::detail::gemv_k(chunk, t);
      const bool valid = k < p_.k;
      const std::int64_t kk = valid ? k : p_.k - 8;
      ASSERT_GE(kk, 0);
      ASSERT_LE(kk + 8, p_.k);
      for (int nt = 0; nt < GemvPipe::NT; ++nt) {
        const std::int64_t n = n0 + nt * 8 + g, row = clamp_index(n, p_.n);
        for (int e = 0; e < 8; ++e) bp[lane][nt][e] = valid ? b(z, row, kk + e) : 0.0;
        if (valid && n < p_.n) {
          for (int e = 0; e < 8; ++e) ++b_copies_[static_cast<std::size_t>((z * p_.n + n) * p_.k + k + e)];
        }
      }
      for (int r = 0; r < row_groups; ++r) {
        const std::int64_t row = clamp_index(r * 8 + g, p_.m);
        for (int e = 0; e < 8; ++e) ap[lane][r][e] = valid ? a(z, row, kk + e) : 0.0;
      }
    }
    for (int step = 0; step < 2; ++step) {
      for (int nt = 0; nt < GemvPipe::NT; ++nt) {
        WarpFragments f;
        for (int lane = 0; lane < 32; ++lane) {
          for (int reg = 0; reg < 4; ++reg) {
            const Piece& piece = ap[lane][kernels::detail::gemv_a_upper(reg) ? row_groups - 1 : 0];
            const int w = kernels::detail::gemv_a_word(step, reg);
            f.a[lane][reg] = {piece[2 * w], piece[2 * w + 1]};
          }
          for (int reg = 0; reg < 2; ++reg) {
            const int w = kernels::detail::gemv_b_word(step, reg);
            f.b[lane][reg] = {bp[lane][nt][2 * w], bp[lane][nt][2 * w + 1]};
          }
        }
        kernels_test::mma_16816(acc[nt], f);
      }
    }
  }

  // GemvOp::store.
  void store(std::int64_t tile, const BlockAcc& acc) {
    const std::int64_t z = tile / n_tiles_, n0 = (tile % n_tiles_) * GemvPipe::BLOCK_N;
    for (int nt = 0; nt < GemvPipe::NT; ++nt) {
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        const std::int64_t col = n0 + nt * 8 + kernels::detail::mma_c_col(0, t);
        if (col >= p_.n) continue;
        for (int half = 0; half < 2; ++half) {
          const std::int64_t row = kernels::detail::mma_c_row(2 * half, g);
          if (row >= p_.m) continue;
          for (int i = 0; i < 2; ++i) {
            const std::size_t at = static_cast<std::size_t>((z * p_.m + row) * p_.n + col + i);
            c_[at] = acc[nt][lane][2 * half + i];
            ++stores_[at];
          }
        }
      }
    }
  }

 private:
  double a(std::int64_t z, std::int64_t m, std::int64_t k) const {
    return a_[static_cast<std::size_t>((z * p_.m + m) * p_.k + k)];
  }
  double b(std::int64_t z, std::int64_t n, std::int64_t k) const {
    return b_[static_cast<std::size_t>((z * p_.n + n) * p_.k + k)];
  }

  Problem p_;
  std::int64_t n_tiles_;
  std::vector<double> a_, b_, c_;
  std::vector<int> stores_, b_copies_;
};

struct EmulatedCase {
  const char* name;
  Problem problem;
  std::int64_t grid;  // blocks before the cap at the number of units
};

class GemvPipeEmulated : public testing::TestWithParam<EmulatedCase> {};

TEST_P(GemvPipeEmulated, EveryOutputWrittenOnceAndExactOverThreeLaunchesFromGarbageCounters) {
  GemvModel model(GetParam().problem);
  kernels_test::run_three_launches(model, GetParam().grid, [&] { model.check(); });
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GemvPipeEmulated,
    testing::Values(EmulatedCase{"tiny_1x8x8", {1, 8, 8, 1}, 4}, EmulatedCase{"tiny_16x16x16", {16, 16, 16, 1}, 4},
                    EmulatedCase{"odd_13x72x520", {13, 72, 520, 1}, 7}, EmulatedCase{"odd_5x30x40", {5, 30, 40, 1}, 3},
                    EmulatedCase{"tiles_16x256x256", {16, 256, 256, 1}, 8},
                    EmulatedCase{"tiles_uneven_8x256x256", {8, 256, 256, 1}, 6},
                    EmulatedCase{"heads_1x1024x128_z6", {1, 1024, 128, 6}, 10},
                    // Llama 33B's K with fewer columns (the full shapes are checked at the unit level below).
                    EmulatedCase{"llama_k6656_16x448", {16, 448, 6656, 1}, 9},
                    EmulatedCase{"llama_k17920_1x96", {1, 96, 17920, 1}, 11}),
    [](const testing::TestParamInfo<EmulatedCase>& param) { return std::string(param.param.name); });

// Llama 33B's decode linears at full size, on an H100 (132 SMs) with 2 or 3 blocks per SM and an A40 (84 SMs, 1):
// every (tile, chunk) unit done once, and the counters and slots of the split tiles (the lanes' work per chunk is the
// emulated one above).
TEST(GemvPipeSchedule, Llama33bDecodeLinearsPartition) {
  struct Shape {
    std::int64_t n, k;
  };
  for (const Shape s : {Shape{6656, 6656}, Shape{17920, 6656}, Shape{6656, 17920}}) {
    for (std::int64_t grid : {132 * 2, 132 * 3, 84}) {
      SCOPED_TRACE(testing::Message() << "N " << s.n << " K " << s.k << " grid " << grid);
      kernels_test::expect_every_unit_once(
          StreamK{(s.n + GemvPipe::BLOCK_N - 1) / GemvPipe::BLOCK_N, (s.k + 31) / 32, grid}, GemvPipe::kWarps);
    }
  }
}

TEST(SplitCounter, LastArrivalIsUniqueFromAnyStartAndLeavesTheCounterClean) {
  std::mt19937_64 rng(5);
  const std::uint64_t token = kernels::detail::next_launch_token();
  for (int contributors : {1, 2, 3, 17}) {
    for (std::uint64_t start : {std::uint64_t{0}, rng(), rng(), token << kernels::detail::kCountBits,
                                ((token ^ 1) << kernels::detail::kCountBits) | 5}) {
      std::uint64_t word = start;
      for (int launch = 0; launch < 2; ++launch) {  // a second launch with the same token: a graph replay
        int lasts = 0;
        for (int i = 0; i < contributors; ++i) {
          const auto step = kernels::detail::counter_arrive(word, token, contributors);
          word = step.next;
          lasts += step.last;
          EXPECT_EQ(step.last, i == contributors - 1);
        }
        EXPECT_EQ(lasts, 1);
        EXPECT_EQ(word, token << kernels::detail::kCountBits);
      }
    }
  }
}

TEST(SplitCounter, TokensAreNonZeroDistinctAndFitTheirBits) {
  std::uint64_t previous = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t token = kernels::detail::next_launch_token();
    EXPECT_NE(token, 0u);
    EXPECT_NE(token, previous);
    EXPECT_EQ(token & ~kernels::detail::kTokenMask, 0u);
    previous = token;
  }
}

}  // namespace

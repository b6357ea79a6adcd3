// gemv_mma_pipe without a GPU: its schedule (stream-K ranges, segments, warps, the cp.async ring, lanes, fragments,
// split tiles and their counters) is replayed on the CPU with the kernel's own index functions
// (kernels/decode_schedule.cuh, kernels/split_counter.cuh), for tiny, odd, tile-multiple and Llama 33B shapes. It
// proves every element of B is copied exactly once, every output written exactly once, and, through the PTX layout of
// m16n8k16 (mma_emulation.hpp), that the fragments the kernel builds compute C = A * B^T exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/decode_schedule.cuh"
#include "kernels/split_counter.cuh"
#include "mma_emulation.hpp"

namespace {

using kernels::detail::clamp_index;
using kernels::detail::GemvPipe;
using kernels::detail::StreamK;
using kernels_test::WarpAccumulators;
using kernels_test::WarpFragments;

constexpr int E = GemvPipe::NT * 4;

// Every unit of a stream-K split in exactly one block, block ranges contiguous and of equal length (+-1), owner() the
// inverse of begin(), each split tile's counter and partial slots its own.
void expect_stream_k_partition(const StreamK& sk) {
  ASSERT_GE(sk.units(), sk.blocks);
  const std::int64_t shortest = sk.units() / sk.blocks;
  for (std::int64_t j = 0; j < sk.blocks; ++j) {
    const std::int64_t length = sk.begin(j + 1) - sk.begin(j);
    ASSERT_TRUE(length == shortest || length == shortest + 1) << "block " << j << " has " << length << " units";
  }
  ASSERT_EQ(sk.begin(0), 0);
  ASSERT_EQ(sk.begin(sk.blocks), sk.units());
  for (std::int64_t j = 0; j < sk.blocks; ++j) {
    for (std::int64_t u : {sk.begin(j), sk.begin(j + 1) - 1}) ASSERT_EQ(sk.owner(u), j) << "unit " << u;
  }
  std::vector<int> counter_users(static_cast<std::size_t>(sk.blocks), 0);
  std::vector<int> slot_users(static_cast<std::size_t>(2 * sk.blocks), 0);
  for (std::int64_t tile = 0; tile < sk.tiles; ++tile) {
    if (!sk.split(tile)) continue;
    ++counter_users[static_cast<std::size_t>(sk.first_block(tile))];
    for (std::int64_t j = sk.first_block(tile); j <= sk.last_block(tile); ++j) {
      ++slot_users[static_cast<std::size_t>(2 * j + sk.slot(j, tile))];
    }
    ASSERT_EQ(sk.contributors(tile), sk.last_block(tile) - sk.first_block(tile) + 1);
  }
  EXPECT_LE(*std::max_element(counter_users.begin(), counter_users.end()), 1) << "two split tiles share a counter";
  EXPECT_LE(*std::max_element(slot_users.begin(), slot_users.end()), 1) << "two split tiles share a partial slot";
}

struct Problem {
  std::int64_t m, n, k, z;  // z: (batch, head) matrices
};

// One emulated launch of gemv_mma_pipe. Blocks run one after another in `order` (the arrival order on the counters).
class GemvLaunch {
 public:
  GemvLaunch(const Problem& p, std::int64_t grid) : p_(p) {
    n_tiles_ = (p.n + GemvPipe::BLOCK_N - 1) / GemvPipe::BLOCK_N;
    sk_ = {n_tiles_ * p.z, (p.k + 31) / 32, 0};
    sk_.blocks = std::min(grid, sk_.units());
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> small(-3, 3);
    a_.resize(static_cast<std::size_t>(p.z * p.m * p.k));
    b_.resize(static_cast<std::size_t>(p.z * p.n * p.k));
    for (double& x : a_) x = small(rng);
    for (double& x : b_) x = small(rng);
  }

  const StreamK& stream_k() const { return sk_; }

  // Runs the launch; returns how often each output was stored and checks values and B's copies.
  void run(std::vector<std::uint64_t>& counters, std::uint64_t token, const std::vector<std::int64_t>& order) {
    c_.assign(static_cast<std::size_t>(p_.z * p_.m * p_.n), 0.0);
    stores_.assign(c_.size(), 0);
    b_copies_.assign(b_.size(), 0);
    partials_.assign(static_cast<std::size_t>(2 * sk_.blocks), {});
    for (std::int64_t block : order) run_block(block, counters, token);

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

 private:
  double a(std::int64_t z, std::int64_t m, std::int64_t k) const {
    return a_[static_cast<std::size_t>((z * p_.m + m) * p_.k + k)];
  }
  double b(std::int64_t z, std::int64_t n, std::int64_t k) const {
    return b_[static_cast<std::size_t>((z * p_.n + n) * p_.k + k)];
  }

  using Piece = std::array<double, 8>;  // a lane's 16 bytes
  using BlockAcc = std::array<WarpAccumulators, GemvPipe::NT>;

  void run_block(std::int64_t block, std::vector<std::uint64_t>& counters, std::uint64_t token) {
    const std::int64_t range_end = sk_.begin(block + 1);
    for (std::int64_t u = sk_.begin(block); u < range_end;) {
      const auto seg = kernels::detail::segment_at(sk_, u, range_end);
      u += seg.c1 - seg.c0;
      ASSERT_LT(seg.c0, seg.c1);
      BlockAcc sum{};
      for (int warp = 0; warp < GemvPipe::kWarps; ++warp) {
        const BlockAcc acc = run_warp(seg, warp);
        for (int nt = 0; nt < GemvPipe::NT; ++nt) {
          for (int lane = 0; lane < 32; ++lane) {
            for (int i = 0; i < 4; ++i) sum[nt][lane][i] += acc[nt][lane][i];
          }
        }
      }
      if (!sk_.split(seg.tile)) {
        store(seg.tile, sum);
        continue;
      }
      auto& mine = partials_[static_cast<std::size_t>(2 * block + sk_.slot(block, seg.tile))];
      ASSERT_TRUE(mine.empty()) << "partial slot of block " << block << " written twice";
      mine.assign(sum.begin(), sum.end());
      std::uint64_t& counter = counters[static_cast<std::size_t>(sk_.first_block(seg.tile))];
      const auto step = kernels::detail::counter_arrive(counter, token, sk_.contributors(seg.tile));
      counter = step.next;
      if (!step.last) continue;
      BlockAcc total{};
      for (std::int64_t j = sk_.first_block(seg.tile); j <= sk_.last_block(seg.tile); ++j) {
        const auto& theirs = partials_[static_cast<std::size_t>(2 * j + sk_.slot(j, seg.tile))];
        ASSERT_EQ(theirs.size(), static_cast<std::size_t>(GemvPipe::NT)) << "the last arrival found a missing partial";
        for (int nt = 0; nt < GemvPipe::NT; ++nt) {
          for (int lane = 0; lane < 32; ++lane) {
            for (int i = 0; i < 4; ++i) total[nt][lane][i] += theirs[static_cast<std::size_t>(nt)][lane][i];
          }
        }
      }
      store(seg.tile, total);
    }
  }

  // One warp's chunks of a segment through the ring: each chunk copied once, into a slot nobody still needs, and used
  // from the slot it was copied to.
  BlockAcc run_warp(const kernels::detail::Segment& seg, int warp) {
    constexpr int S = GemvPipe::STAGES;
    const int count = kernels::detail::warp_chunk_count(seg.c0, seg.c1, warp, GemvPipe::kWarps);
    std::array<int, S> slot_holds;
    slot_holds.fill(-1);
    int consumed = -1;
    auto copy = [&](int i) {
      const int slot = kernels::detail::ring_slot(i, S);
      EXPECT_TRUE(slot_holds[static_cast<std::size_t>(slot)] <= consumed)
          << "slot overwritten before its chunk was used";
      slot_holds[static_cast<std::size_t>(slot)] = i;
    };
    for (int s = 0; s < S - 1; ++s) {
      if (s < count) copy(s);
    }
    BlockAcc acc{};
    for (int i = 0; i < count; ++i) {
      if (i + S - 1 < count) copy(i + S - 1);
      EXPECT_EQ(slot_holds[static_cast<std::size_t>(kernels::detail::ring_slot(i, S))], i);
      // In flight while chunk i is waited for: every later chunk up to i + S - 1.
      EXPECT_EQ(std::count_if(slot_holds.begin(), slot_holds.end(), [&](int c) { return c > i; }),
                std::min(S - 1, count - 1 - i));
      mma_chunk(seg, kernels::detail::warp_chunk(seg.c0, warp, i, GemvPipe::kWarps), acc);
      consumed = i;
    }
    return acc;
  }

  // The copies of one chunk by all lanes, and its MMAs.
  void mma_chunk(const kernels::detail::Segment& seg, std::int64_t chunk, BlockAcc& acc) {
    const std::int64_t z = seg.tile / n_tiles_, n0 = (seg.tile % n_tiles_) * GemvPipe::BLOCK_N;
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

  Problem p_;
  std::int64_t n_tiles_ = 0;
  StreamK sk_;
  std::vector<double> a_, b_, c_;
  std::vector<int> stores_, b_copies_;
  std::vector<std::vector<WarpAccumulators>> partials_;
};

std::vector<std::int64_t> shuffled_blocks(std::int64_t blocks, unsigned seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(blocks));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

struct EmulatedCase {
  const char* name;
  Problem problem;
  std::int64_t grid;  // blocks before the cap at the number of units
};

class GemvPipeEmulated : public testing::TestWithParam<EmulatedCase> {};

TEST_P(GemvPipeEmulated, EveryOutputWrittenOnceAndExactOverTwoLaunchesOnGarbageCounters) {
  GemvLaunch launch(GetParam().problem, GetParam().grid);
  expect_stream_k_partition(launch.stream_k());
  // The workspace's counters start as leftover bytes; the first launch must not care, and must leave them clean.
  std::vector<std::uint64_t> counters(static_cast<std::size_t>(launch.stream_k().blocks));
  std::mt19937_64 rng(11);
  for (auto& c : counters) c = rng();
  const std::uint64_t token = kernels::detail::next_launch_token();
  launch.run(counters, token, shuffled_blocks(launch.stream_k().blocks, 1));
  for (auto c : counters) {
    const bool clean = c == (token << kernels::detail::kCountBits);
    const bool untouched = (c >> kernels::detail::kCountBits) != token;
    EXPECT_TRUE(clean || untouched) << "a counter was left mid-count";
  }
  // A CUDA graph replays with the same token; a new launch brings a new one. Other arrival orders too.
  launch.run(counters, token, shuffled_blocks(launch.stream_k().blocks, 2));
  launch.run(counters, kernels::detail::next_launch_token(), shuffled_blocks(launch.stream_k().blocks, 3));
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

// Llama 33B's decode linears at full size, on an H100 (132 SMs) with 2 or 3 blocks per SM: the partition and the
// counters and slots of its split tiles (the lanes' work per chunk is the emulated one above).
TEST(GemvPipeSchedule, Llama33bDecodeLinearsPartition) {
  struct Shape {
    std::int64_t n, k;
  };
  for (const Shape s : {Shape{6656, 6656}, Shape{17920, 6656}, Shape{6656, 17920}}) {
    for (std::int64_t grid : {132 * 2, 132 * 3, 84, 108 * 3}) {
      StreamK sk{(s.n + GemvPipe::BLOCK_N - 1) / GemvPipe::BLOCK_N, (s.k + 31) / 32, grid};
      SCOPED_TRACE(testing::Message() << "N " << s.n << " K " << s.k << " grid " << grid);
      expect_stream_k_partition(sk);
      std::vector<int> seen(static_cast<std::size_t>(sk.units()), 0);
      for (std::int64_t j = 0; j < sk.blocks; ++j) {
        for (std::int64_t u = sk.begin(j); u < sk.begin(j + 1);) {
          const auto seg = kernels::detail::segment_at(sk, u, sk.begin(j + 1));
          for (int w = 0; w < GemvPipe::kWarps; ++w) {
            const int count = kernels::detail::warp_chunk_count(seg.c0, seg.c1, w, GemvPipe::kWarps);
            for (int i = 0; i < count; ++i) {
              ++seen[static_cast<std::size_t>(seg.tile * sk.chunks +
                                              kernels::detail::warp_chunk(seg.c0, w, i, GemvPipe::kWarps))];
            }
          }
          u += seg.c1 - seg.c0;
        }
      }
      EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), sk.units()) << "a (tile, chunk) unit not done exactly once";
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

// qk_decode_pipe without a GPU: every warp's range of key tiles (WarpRanges), its (batch, KV head) segments, its ring
// and each lane's copies and fragments (kernels/decode_schedule.cuh) replayed on the CPU through the m16n8k16 layout of
// the PTX ISA, multi-head (Llama 33B) and grouped-query (Llama-2-70B; groups 4, 12, 16), head_dims 64/128/256, odd
// contexts. It proves every element of the K cache is copied exactly once per launch (each KV head once), every score
// written exactly once, and S = Q * K^T exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/decode_schedule.cuh"
#include "mma_emulation.hpp"
#include "stream_k_emulation.hpp"

namespace {

using kernels::detail::clamp_index;
using kernels::detail::QkPipe;
using kernels::detail::WarpRanges;
using kernels_test::WarpAccumulators;
using kernels_test::WarpFragments;

struct Problem {
  std::int64_t batch, heads, kv_heads, d, s;  // Q [batch, heads, d], K [batch, s, kv_heads, d], S [batch, heads, s]
};

class QkModel {
 public:
  explicit QkModel(const Problem& p) : p_(p), group_(p.heads / p.kv_heads), per_head_((p.s + 7) / 8) {
    std::mt19937 rng(9);
    std::uniform_int_distribution<int> small(-3, 3);
    q_.resize(static_cast<std::size_t>(p.batch * p.heads * p.d));
    k_.resize(static_cast<std::size_t>(p.batch * p.s * p.kv_heads * p.d));
    for (double& x : q_) x = small(rng);
    for (double& x : k_) x = small(rng);
  }

  // One launch of `blocks` blocks, as launch_typed() cuts the tiles; warps run one after another (they share nothing).
  void run(std::int64_t blocks) {
    scores_.assign(static_cast<std::size_t>(p_.batch * p_.heads * p_.s), 0.0);
    stores_.assign(scores_.size(), 0);
    k_copies_.assign(k_.size(), 0);
    const WarpRanges ranges{p_.batch * p_.kv_heads * per_head_, blocks * QkPipe::kWarps};
    for (std::int64_t w = 0; w < ranges.warps; ++w) {
      const std::int64_t range_end = ranges.first(w + 1);
      for (std::int64_t t0 = ranges.first(w); t0 < range_end;) {
        const std::int64_t t1 = kernels::detail::head_segment_end(t0, range_end, per_head_);
        ASSERT_LT(t0, t1);
        ASSERT_EQ(t0 / per_head_, (t1 - 1) / per_head_) << "a segment crosses a KV head";
        const std::int64_t z_kv = t0 / per_head_, key0 = (t0 % per_head_) * QkPipe::KEYS;
        kernels_test::ring_replay<QkPipe::STAGES>(static_cast<int>(t1 - t0),
                                                  [&](int i) { tile(z_kv, key0 + i * QkPipe::KEYS); });
        t0 = t1;
      }
    }
  }

  void check() const {
    for (std::int64_t b = 0; b < p_.batch; ++b) {
      for (std::int64_t h = 0; h < p_.heads; ++h) {
        for (std::int64_t n = 0; n < p_.s; ++n) {
          double want = 0;
          for (std::int64_t c = 0; c < p_.d; ++c) want += q(b, h, c) * k(b, n, h / group_, c);
          const std::size_t i = static_cast<std::size_t>((b * p_.heads + h) * p_.s + n);
          ASSERT_EQ(stores_[i], 1) << "S[" << b << "][" << h << "][" << n << "] stored " << stores_[i] << " times";
          ASSERT_EQ(scores_[i], want) << "S[" << b << "][" << h << "][" << n << "]";
        }
      }
    }
    for (std::size_t i = 0; i < k_copies_.size(); ++i) ASSERT_EQ(k_copies_[i], 1) << "K element " << i;
  }

 private:
  // One warp tile: keys key0 .. key0 + 7 of KV head z_kv, all of head_dim, and its stores.
  void tile(std::int64_t z_kv, std::int64_t key0) {
    const std::int64_t b = z_kv / p_.kv_heads, kvh = z_kv % p_.kv_heads, first_head = kvh * group_;
    const int row_groups = group_ <= 8 ? 1 : 2;
    WarpAccumulators acc{};
    for (std::int64_t kc = 0; kc < p_.d / 32; ++kc) {
      std::array<std::array<double, 8>, 32> kp{};
      std::array<std::array<std::array<double, 8>, 2>, 32> qp{};
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        const std::int64_t col = kernels::detail::gemv_k(kc, t);
        const std::int64_t key = key0 + g, row = clamp_index(key, p_.s);
        for (int e = 0; e < 8; ++e) {
          kp[lane][e] = k(b, row, kvh, col + e);
          if (key < p_.s) ++k_copies_[k_index(b, key, kvh, col + e)];
        }
        for (int r = 0; r < row_groups; ++r) {
          const std::int64_t head = first_head + clamp_index(8 * r + g, group_);
          for (int e = 0; e < 8; ++e) qp[lane][r][e] = q(b, head, col + e);
        }
      }
      for (int step = 0; step < 2; ++step) {
        WarpFragments f;
        for (int lane = 0; lane < 32; ++lane) {
          for (int reg = 0; reg < 4; ++reg) {
            const auto& piece = qp[lane][kernels::detail::gemv_a_upper(reg) ? row_groups - 1 : 0];
            const int w = kernels::detail::gemv_a_word(step, reg);
            f.a[lane][reg] = {piece[2 * w], piece[2 * w + 1]};
          }
          for (int reg = 0; reg < 2; ++reg) {
            const int w = kernels::detail::gemv_b_word(step, reg);
            f.b[lane][reg] = {kp[lane][2 * w], kp[lane][2 * w + 1]};
          }
        }
        kernels_test::mma_16816(acc, f);
      }
    }
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      const std::int64_t key = key0 + kernels::detail::mma_c_col(0, t);
      if (key >= p_.s) continue;
      for (int half = 0; half < 2; ++half) {
        const int row = kernels::detail::mma_c_row(2 * half, g);
        if (row >= group_) continue;
        for (int i = 0; i < 2; ++i) {
          const std::size_t at = static_cast<std::size_t>((b * p_.heads + first_head + row) * p_.s + key + i);
          scores_[at] = acc[lane][2 * half + i];
          ++stores_[at];
        }
      }
    }
  }

  std::size_t k_index(std::int64_t b, std::int64_t n, std::int64_t kvh, std::int64_t c) const {
    return static_cast<std::size_t>(((b * p_.s + n) * p_.kv_heads + kvh) * p_.d + c);
  }
  double k(std::int64_t b, std::int64_t n, std::int64_t kvh, std::int64_t c) const { return k_[k_index(b, n, kvh, c)]; }
  double q(std::int64_t b, std::int64_t h, std::int64_t c) const {
    return q_[static_cast<std::size_t>((b * p_.heads + h) * p_.d + c)];
  }

  Problem p_;
  std::int64_t group_, per_head_;
  std::vector<double> q_, k_, scores_;
  std::vector<int> stores_, k_copies_;
};

struct EmulatedCase {
  const char* name;
  Problem problem;
  std::int64_t blocks;
};

class QkPipeEmulated : public testing::TestWithParam<EmulatedCase> {};

TEST_P(QkPipeEmulated, EveryScoreWrittenOnceEveryKeyElementCopiedOnceAndExact) {
  QkModel model(GetParam().problem);
  model.run(GetParam().blocks);
  model.check();
}

INSTANTIATE_TEST_SUITE_P(Shapes, QkPipeEmulated,
                         testing::Values(EmulatedCase{"tiny_mha_1x1_d64_s2", {1, 1, 1, 64, 2}, 1},
                                         EmulatedCase{"odd_mha_3x5_d128_s202", {3, 5, 5, 128, 202}, 3},
                                         EmulatedCase{"llama33b_b1_s1000", {1, 52, 52, 128, 1000}, 5},
                                         EmulatedCase{"gqa_llama2_70b_b2_s130", {2, 64, 8, 128, 130}, 7},
                                         EmulatedCase{"gqa_group4_b1_s64_d256", {1, 8, 2, 256, 64}, 2},
                                         EmulatedCase{"gqa_group12_b2_s40", {2, 24, 2, 64, 40}, 3},
                                         EmulatedCase{"gqa_group16_b1_s24", {1, 32, 2, 128, 24}, 1},
                                         EmulatedCase{"more_warps_than_tiles", {1, 2, 2, 128, 30}, 2}),
                         [](const testing::TestParamInfo<EmulatedCase>& param) {
                           return std::string(param.param.name);
                         });

// The partition at full size (Llama 33B at b = 1 and 16, s = 4096 and 8192; Llama-2-70B): warp ranges contiguous,
// of equal length +-1, covering every tile once, and their head segments within one KV head.
TEST(QkPipeSchedule, LlamaDecodePartition) {
  for (const std::int64_t z_kv : {52, 16 * 52, 8}) {
    for (const std::int64_t s : {4096, 8192}) {
      const std::int64_t per_head = s / QkPipe::KEYS;
      const WarpRanges ranges{z_kv * per_head, 132 * 4 * QkPipe::kWarps};
      const std::int64_t shortest = ranges.tiles / ranges.warps;
      std::int64_t covered = 0;
      for (std::int64_t w = 0; w < ranges.warps; ++w) {
        const std::int64_t length = ranges.first(w + 1) - ranges.first(w);
        ASSERT_TRUE(length == shortest || length == shortest + 1);
        ASSERT_EQ(ranges.first(w), covered);
        for (std::int64_t t0 = ranges.first(w); t0 < ranges.first(w + 1);) {
          const std::int64_t t1 = kernels::detail::head_segment_end(t0, ranges.first(w + 1), per_head);
          ASSERT_EQ(t0 / per_head, (t1 - 1) / per_head);
          covered += t1 - t0;
          t0 = t1;
        }
      }
      EXPECT_EQ(covered, ranges.tiles);
    }
  }
}

}  // namespace

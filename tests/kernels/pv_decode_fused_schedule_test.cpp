// pv_decode_fused without a GPU: its schedule and fragments (kernels/decode_schedule.cuh, pv_*) replayed on the CPU
// through the m16n8k16 layout of the PTX ISA, for tiny, odd, multi-chunk and Llama shapes, multi-head (Llama 33B)
// and grouped-query (Llama-2-70B: 64 query heads over 8 KV heads; 16 per KV head, the limit). It proves every element
// of V is copied exactly once per launch (each KV head once, however many query heads share it), every output written
// exactly once, and O = P * V exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/decode_schedule.cuh"
#include "mma_emulation.hpp"
#include "stream_k_emulation.hpp"

namespace {

using kernels::detail::clamp_index;
using kernels::detail::PvPipe;
using kernels::detail::StreamK;
using kernels_test::WarpAccumulators;
using kernels_test::WarpFragments;

struct Problem {
  std::int64_t batch, heads, kv_heads, d, s;  // P [batch, heads, s], V [batch, s, kv_heads, d], O [batch, heads, d]
};

class PvModel {
 public:
  static constexpr int kWarps = PvPipe::kWarps, kStages = PvPipe::STAGES, kTiles = PvPipe::N8;
  using BlockAcc = std::array<WarpAccumulators, kTiles>;

  explicit PvModel(const Problem& p) : p_(p), group_(p.heads / p.kv_heads), col_groups_(p.d / PvPipe::COLS) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> small(-3, 3);
    prob_.resize(static_cast<std::size_t>(p.batch * p.heads * p.s));
    v_.resize(static_cast<std::size_t>(p.batch * p.s * p.kv_heads * p.d));
    for (double& x : prob_) x = small(rng);
    for (double& x : v_) x = small(rng);
  }

  StreamK stream_k(std::int64_t grid) const {  // as launch_typed() builds it
    StreamK sk{p_.batch * p_.kv_heads * col_groups_, (p_.s + 15) / 16, 0};
    sk.blocks = std::min(grid, sk.units());
    return sk;
  }

  void reset() {
    o_.assign(static_cast<std::size_t>(p_.batch * p_.heads * p_.d), 0.0);
    stores_.assign(o_.size(), 0);
    v_copies_.assign(v_.size(), 0);
  }

  void check() const {
    for (std::int64_t b = 0; b < p_.batch; ++b) {
      for (std::int64_t h = 0; h < p_.heads; ++h) {
        for (std::int64_t c = 0; c < p_.d; ++c) {
          double want = 0;
          for (std::int64_t r = 0; r < p_.s; ++r) want += prob(b, h, r) * v(b, r, h / group_, c);
          const std::size_t i = static_cast<std::size_t>((b * p_.heads + h) * p_.d + c);
          ASSERT_EQ(stores_[i], 1) << "O[" << b << "][" << h << "][" << c << "] stored " << stores_[i] << " times";
          ASSERT_EQ(o_[i], want) << "O[" << b << "][" << h << "][" << c << "]";
        }
      }
    }
    for (std::size_t i = 0; i < v_copies_.size(); ++i) ASSERT_EQ(v_copies_[i], 1) << "V element " << i;
  }

  // PvOp::copy by every lane, then PvOp::mma.
  void mma_chunk(std::int64_t tile, std::int64_t chunk, BlockAcc& acc) {
    const std::int64_t zkv = tile / col_groups_, col0 = (tile % col_groups_) * PvPipe::COLS;
    const std::int64_t b = zkv / p_.kv_heads, kvh = zkv % p_.kv_heads;
    const int row_groups = group_ <= 8 ? 1 : 2;
    std::array<std::array<std::array<double, 8>, 4>, 32> vp{};  // lane, piece, element
    std::array<std::array<std::array<double, 4>, 2>, 32> pp{};  // lane, row group, element
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      for (int q = 0; q < 4; ++q) {
        const std::int64_t row = chunk * 16 + kernels::detail::pv_row(t, q);
        const bool valid = row < p_.s;
        for (int e = 0; e < 8; ++e) {
          const std::int64_t col = col0 + 8 * g + e;
          vp[lane][q][e] = valid ? v(b, clamp_index(row, p_.s), kvh, col) : 0.0;
          if (valid) ++v_copies_[v_index(b, row, kvh, col)];
        }
      }
      const std::int64_t first = chunk * 16 + kernels::detail::pv_row(t, 0);
      for (int r = 0; r < row_groups; ++r) {
        const std::int64_t head = kvh * group_ + clamp_index(8 * r + g, group_);
        for (int e = 0; e < 4; ++e) pp[lane][r][e] = first < p_.s ? prob(b, head, first + e) : 0.0;
      }
    }
    for (int j = 0; j < PvPipe::N8; ++j) {
      WarpFragments f;
      for (int lane = 0; lane < 32; ++lane) {
        for (int reg = 0; reg < 4; ++reg) {
          const auto& piece = pp[lane][kernels::detail::pv_a_upper(reg) ? row_groups - 1 : 0];
          const int w = kernels::detail::pv_a_word(reg);
          f.a[lane][reg] = {piece[2 * w], piece[2 * w + 1]};
        }
        for (int reg = 0; reg < 2; ++reg) {
          for (int half = 0; half < 2; ++half)
            f.b[lane][reg][half] = vp[lane][kernels::detail::pv_b_piece(reg, half)][j];
        }
      }
      kernels_test::mma_16816(acc[j], f);
    }
  }

  // PvOp::store: rows are the query heads of the KV head, columns in pairs of n8 tiles.
  void store(std::int64_t tile, const BlockAcc& acc) {
    const std::int64_t zkv = tile / col_groups_, col0 = (tile % col_groups_) * PvPipe::COLS;
    const std::int64_t b = zkv / p_.kv_heads, kvh = zkv % p_.kv_heads;
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      for (int i = 0; i < 4; ++i) {
        const int row = kernels::detail::mma_c_row(i, g);
        if (row >= group_) continue;
        for (int j = 0; j < PvPipe::N8; j += 2) {
          for (int pair = 0; pair < 2; ++pair) {
            const std::int64_t col = col0 + kernels::detail::pv_col(kernels::detail::mma_c_col(i, t), j) + pair;
            const std::size_t at = static_cast<std::size_t>((b * p_.heads + kvh * group_ + row) * p_.d + col);
            o_[at] = acc[static_cast<std::size_t>(j + pair)][lane][i];
            ++stores_[at];
          }
        }
      }
    }
  }

 private:
  std::size_t v_index(std::int64_t b, std::int64_t row, std::int64_t kvh, std::int64_t col) const {
    return static_cast<std::size_t>(((b * p_.s + row) * p_.kv_heads + kvh) * p_.d + col);
  }
  double v(std::int64_t b, std::int64_t row, std::int64_t kvh, std::int64_t col) const {
    return v_[v_index(b, row, kvh, col)];
  }
  double prob(std::int64_t b, std::int64_t h, std::int64_t r) const {
    return prob_[static_cast<std::size_t>((b * p_.heads + h) * p_.s + r)];
  }

  Problem p_;
  std::int64_t group_, col_groups_;
  std::vector<double> prob_, v_, o_;
  std::vector<int> stores_, v_copies_;
};

struct EmulatedCase {
  const char* name;
  Problem problem;
  std::int64_t grid;
};

class PvFusedEmulated : public testing::TestWithParam<EmulatedCase> {};

TEST_P(PvFusedEmulated, EveryOutputWrittenOnceEveryKvElementCopiedOnceAndExact) {
  PvModel model(GetParam().problem);
  kernels_test::run_three_launches(model, GetParam().grid, [&] { model.check(); });
}

INSTANTIATE_TEST_SUITE_P(Shapes, PvFusedEmulated,
                         testing::Values(EmulatedCase{"tiny_mha_1x1_d64_s4", {1, 1, 1, 64, 4}, 3},
                                         EmulatedCase{"odd_mha_3x5_d128_s200", {3, 5, 5, 128, 200}, 13},
                                         EmulatedCase{"odd_mha_1x3_d192_s52", {1, 3, 3, 192, 52}, 7},
                                         EmulatedCase{"chunks_mha_2x2_d128_s256", {2, 2, 2, 128, 256}, 8},
                                         EmulatedCase{"llama33b_heads_b1_s260", {1, 52, 52, 128, 260}, 37},
                                         EmulatedCase{"gqa_llama2_70b_b2_s124", {2, 64, 8, 128, 124}, 19},
                                         EmulatedCase{"gqa_group4_b1_s1000", {1, 8, 2, 128, 1000}, 11},
                                         EmulatedCase{"gqa_group16_b1_s96", {1, 32, 2, 256, 96}, 5},
                                         EmulatedCase{"gqa_group12_b1_s40", {1, 24, 2, 64, 40}, 4}),
                         [](const testing::TestParamInfo<EmulatedCase>& param) {
                           return std::string(param.param.name);
                         });

// __byte_perm(x, y, s) as the CUDA math API defines it: byte i of the result is byte (s >> 4i) & 7 of y:x.
std::uint32_t byte_perm(std::uint32_t x, std::uint32_t y, unsigned s) {
  const std::uint64_t both = (static_cast<std::uint64_t>(y) << 32) | x;
  std::uint32_t out = 0;
  for (int i = 0; i < 4; ++i) out |= static_cast<std::uint32_t>((both >> (8 * ((s >> (4 * i)) & 7))) & 0xFF) << (8 * i);
  return out;
}

// The PRMT that builds B: 16-bit element ids in, element j of piece 0 (low half) and of piece 1 (high half) out.
TEST(PvFusedSchedule, ByteSelectorsPairElementJOfTwoPieces) {
  for (int j = 0; j < 8; ++j) {
    auto word_of = [&](std::uint32_t piece) {  // word j / 2 of a piece whose elements are numbered piece * 8 + e
      const std::uint32_t lo = piece * 8 + static_cast<std::uint32_t>(j / 2) * 2;
      return lo | ((lo + 1) << 16);
    };
    const std::uint32_t b = byte_perm(word_of(0), word_of(1), kernels::detail::pv_b_selector(j));
    EXPECT_EQ(b & 0xFFFF, static_cast<std::uint32_t>(j)) << "j " << j;
    EXPECT_EQ(b >> 16, static_cast<std::uint32_t>(8 + j)) << "j " << j;
  }
}

// Llama 33B and Llama-2-70B decode pv at full size on an H100 (132 SMs, 2 blocks each) and an A40 (84): every
// (tile, chunk) unit done once, counters and slots of split tiles their own.
TEST(PvFusedSchedule, LlamaDecodePartition) {
  struct Shape {
    std::int64_t batch, kv_heads, s;
  };
  for (const Shape s : {Shape{1, 52, 4096}, Shape{16, 52, 8192}, Shape{64, 52, 128}, Shape{1, 8, 8192}}) {
    for (std::int64_t grid : {132 * 2, 84}) {
      SCOPED_TRACE(testing::Message() << "b " << s.batch << " kv heads " << s.kv_heads << " s " << s.s);
      StreamK sk{s.batch * s.kv_heads * (128 / PvPipe::COLS), (s.s + 15) / 16, 0};
      sk.blocks = std::min(grid, sk.units());
      kernels_test::expect_every_unit_once(sk, PvPipe::kWarps);
    }
  }
}

}  // namespace

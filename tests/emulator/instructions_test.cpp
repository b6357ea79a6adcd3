// The emulator's instruction models against sources outside this project, so that a kernel and the emulator cannot
// agree on one misreading of the PTX ISA:
// - mma.sync m16n8k16 and ldmatrix x4 (.trans) against CuTe's layouts (MMA_Traits<SM80_16x8x16_F32F16F16F32_TN>,
//   Copy_Traits<SM75_U32x4_LDSM_N> and <SM75_U16x8_LDSM_T>, from NVIDIA's nvidia-cutlass wheel, which
//   tools/setup.sh installs): every lane and register, on random operands;
// - the same fragments as the PTX ISA's text states them ("Matrix Fragments for mma.m16n8k16 with floating point
//   type": groupID = laneid >> 2, threadID_in_group = laneid % 4, row and column of each a_i, b_i, c_i), written here
//   from the ISA, independently of the emulator's code;
// - shuffles and __byte_perm against the worked examples of the CUDA C++ Programming Guide and Math API.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <cstring>
#include <cute/atom/copy_traits_sm75.hpp>
#include <cute/atom/mma_traits_sm80.hpp>
#include <map>
#include <random>

#include "emulator/emulator.hpp"
#include "instruction_probes.hpp"

namespace {

using cuda_emu::MmaInput;

std::uint16_t bits_of(float v, MmaInput input) {
  std::uint16_t bits;
  if (input == MmaInput::kF16) {
    const __half h = __float2half_rn(v);
    std::memcpy(&bits, &h, 2);
  } else {
    const __nv_bfloat16 b = __float2bfloat16_rn(v);
    std::memcpy(&bits, &b, 2);
  }
  return bits;
}

// Random operands exact in both 16-bit formats (small multiples of 1/8), so that every sum below is exact in fp32.
struct Operands {
  float a[16][16], b[16][8], c[16][8];  // A [m][k], B [k][n], C [m][n]
  explicit Operands(unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> eighths(-16, 16);
    for (auto& row : a) {
      for (float& v : row) v = static_cast<float>(eighths(rng)) / 8;
    }
    for (auto& row : b) {
      for (float& v : row) v = static_cast<float>(eighths(rng)) / 8;
    }
    for (auto& row : c) {
      for (float& v : row) v = static_cast<float>(eighths(rng));
    }
  }
  double d(int m, int n) const {
    double sum = c[m][n];
    for (int k = 0; k < 16; ++k) sum += static_cast<double>(a[m][k]) * b[k][n];
    return sum;
  }
};

void put_half(std::uint32_t& reg, int half, std::uint16_t bits) {
  reg |= static_cast<std::uint32_t>(bits) << (16 * half);
}

// Fragments laid out by CuTe's MMA traits, the emulator's result read back through CuTe's C layout.
template <class MmaOp>
void check_mma_against_cute(MmaInput input, unsigned seed) {
  using Traits = cute::MMA_Traits<MmaOp>;
  const auto a_layout = typename Traits::ALayout{};  // (thread, value) -> m + 16 k
  const auto b_layout = typename Traits::BLayout{};  // (thread, value) -> n + 8 k
  const auto c_layout = typename Traits::CLayout{};  // (thread, value) -> m + 16 n
  const Operands x(seed);
  probes::Lanes4 a{};
  probes::Lanes2 b{};
  probes::LanesF c{};
  for (int t = 0; t < 32; ++t) {
    for (int v = 0; v < 8; ++v) {  // value v is half v % 2 of register v / 2
      const int i = a_layout(t, v);
      put_half(a[t][v / 2], v % 2, bits_of(x.a[i % 16][i / 16], input));
    }
    for (int v = 0; v < 4; ++v) {
      const int i = b_layout(t, v);
      put_half(b[t][v / 2], v % 2, bits_of(x.b[i / 8][i % 8], input));
    }
    for (int v = 0; v < 4; ++v) {
      const int i = c_layout(t, v);
      c[t][v] = x.c[i % 16][i / 16];
    }
  }
  const probes::LanesF d = probes::mma(a, b, c, input);
  for (int t = 0; t < 32; ++t) {
    for (int v = 0; v < 4; ++v) {
      const int i = c_layout(t, v);
      EXPECT_EQ(d[t][v], x.d(i % 16, i / 16))
          << "lane " << t << " d[" << v << "] (m " << i % 16 << ", n " << i / 16 << ")";
    }
  }
}

TEST(MmaM16n8k16, F16AgreesWithCutesLayouts) {
  for (unsigned seed : {1u, 2u, 3u}) check_mma_against_cute<cute::SM80_16x8x16_F32F16F16F32_TN>(MmaInput::kF16, seed);
}

TEST(MmaM16n8k16, Bf16AgreesWithCutesLayouts) {
  for (unsigned seed : {4u, 5u, 6u}) {
    check_mma_against_cute<cute::SM80_16x8x16_F32BF16BF16F32_TN>(MmaInput::kBF16, seed);
  }
}

// The fragments as the PTX ISA's text gives them, one lane and one element at a time: a one-hot A picks one column
// of B into one row of D.
TEST(MmaM16n8k16, OneHotOperandsLandWhereThePtxIsaSaysTheyDo) {
  float b[16][8];
  for (int k = 0; k < 16; ++k) {
    for (int n = 0; n < 8; ++n) b[k][n] = static_cast<float>(k * 8 + n + 1);  // unique, exact in fp16
  }
  for (int lane = 0; lane < 32; ++lane) {
    const int group = lane >> 2, tig = lane % 4;  // groupID, threadID_in_group
    for (int i = 0; i < 8; ++i) {                 // a_i: register i / 2, half i % 2
      // "row = groupID for a0, a1, a4, a5; groupID + 8 for a2, a3, a6, a7;
      //  col = threadID_in_group * 2 + (i & 0x1) for a0..a3; + 8 for a4..a7"
      const int row = (i == 2 || i == 3 || i == 6 || i == 7) ? group + 8 : group;
      const int col = tig * 2 + (i & 1) + (i >= 4 ? 8 : 0);
      probes::Lanes4 a{};
      probes::Lanes2 bf{};
      probes::LanesF c{};
      put_half(a[lane][i / 2], i % 2, bits_of(1.0f, MmaInput::kF16));
      for (int l = 0; l < 32; ++l) {
        for (int j = 0; j < 4; ++j) {  // "row (k) = threadID_in_group * 2 + (i & 0x1) for b0, b1; + 8 for b2, b3"
          put_half(bf[l][j / 2], j % 2, bits_of(b[(l % 4) * 2 + (j & 1) + (j >= 2 ? 8 : 0)][l >> 2], MmaInput::kF16));
        }
      }
      const probes::LanesF d = probes::mma(a, bf, c, MmaInput::kF16);
      for (int l = 0; l < 32; ++l) {
        for (int j = 0; j < 4; ++j) {  // "row = groupID for c0, c1; groupID + 8 for c2, c3; col = tig * 2 + (i & 1)"
          const int m = (l >> 2) + (j >= 2 ? 8 : 0), n = (l % 4) * 2 + (j & 1);
          EXPECT_EQ(d[l][j], m == row ? b[col][n] : 0.0f) << "a" << i << " of lane " << lane << " -> d of lane " << l;
        }
      }
    }
  }
}

// ldmatrix through CuTe's copy traits: the source layout says which thread gives the address of which bits, the
// destination layout which thread receives them in which register.
template <class CopyOp>
void check_ldmatrix_against_cute(bool trans) {
  using Traits = cute::Copy_Traits<CopyOp>;
  const auto src = typename Traits::SrcLayout{};  // (thread, bit) -> bit of the copied tile
  const auto dst = typename Traits::DstLayout{};
  std::map<int, std::pair<int, int>> source_of;  // tile bit -> (thread, bit within its 16-byte row)
  for (int t = 0; t < 32; ++t) {
    for (int bit = 0; bit < 128; ++bit) source_of[src(t, bit)] = {t, bit};
  }
  // Rows scattered over shared memory (row r of lane l at a 16-byte-aligned element offset of its own), each element
  // a unique value.
  std::array<std::uint32_t, 32> row_start{};
  std::vector<std::uint16_t> shared(32 * 24);
  for (int l = 0; l < 32; ++l) row_start[l] = static_cast<std::uint32_t>(((l * 7) % 32) * 24);
  for (std::size_t i = 0; i < shared.size(); ++i) shared[i] = static_cast<std::uint16_t>(0x1000 + i);
  const probes::Lanes4 r = probes::ldmatrix_x4(shared, row_start, trans);
  for (int t = 0; t < 32; ++t) {
    for (int e = 0; e < 8; ++e) {  // element e: register e / 2, half e % 2
      const auto [s, bit] = source_of.at(dst(t, 16 * e));
      ASSERT_EQ(bit % 16, 0);
      const std::uint16_t expected = shared[row_start[s] + bit / 16];
      const std::uint16_t got = static_cast<std::uint16_t>(r[t][e / 2] >> (16 * (e % 2)));
      EXPECT_EQ(got, expected) << (trans ? "ldmatrix.trans" : "ldmatrix") << " lane " << t << " element " << e;
    }
  }
}

TEST(LdmatrixX4, AgreesWithCutesLdsmLayouts) { check_ldmatrix_against_cute<cute::SM75_U32x4_LDSM_N>(false); }
TEST(LdmatrixX4, TransAgreesWithCutesLdsmLayouts) { check_ldmatrix_against_cute<cute::SM75_U16x8_LDSM_T>(true); }

std::array<std::uint32_t, 32> lanes_plus(std::uint32_t base) {
  std::array<std::uint32_t, 32> v{};
  for (int l = 0; l < 32; ++l) v[l] = base + static_cast<std::uint32_t>(l);
  return v;
}

// CUDA C++ Programming Guide, "Warp Shuffle Functions": broadcast of lane 0 within segments of `width`, the shift of
// __shfl_up/__shfl_down (lanes whose source falls off their segment keep their own value), the butterfly of
// __shfl_xor.
TEST(Shuffle, FollowsTheProgrammingGuidesRules) {
  const auto v = lanes_plus(100);
  const auto bcast = probes::shuffle(cuda_emu::Shuffle::kIndex, 0xFFFFFFFFu, 0, 32, v);
  const auto bcast8 = probes::shuffle(cuda_emu::Shuffle::kIndex, 0xFFFFFFFFu, 3, 8, v);
  const auto up = probes::shuffle(cuda_emu::Shuffle::kUp, 0xFFFFFFFFu, 1, 32, v);
  const auto down16 = probes::shuffle(cuda_emu::Shuffle::kDown, 0xFFFFFFFFu, 2, 16, v);
  const auto xor4 = probes::shuffle(cuda_emu::Shuffle::kXor, 0xFFFFFFFFu, 1, 4, v);
  // An xor may reach an earlier segment, not a later one ("able to access elements from earlier groups").
  const auto xor8 = probes::shuffle(cuda_emu::Shuffle::kXor, 0xFFFFFFFFu, 8, 8, v);
  // Only the low 5 bits of the lane or delta count.
  const auto down33 = probes::shuffle(cuda_emu::Shuffle::kDown, 0xFFFFFFFFu, 33, 32, v);
  for (std::uint32_t l = 0; l < 32; ++l) {
    EXPECT_EQ(bcast[l], 100u);
    EXPECT_EQ(bcast8[l], 100 + (l & ~7u) + 3) << "lane " << l;
    EXPECT_EQ(up[l], l == 0 ? 100u : 100 + l - 1) << "lane " << l;
    EXPECT_EQ(down16[l], (l % 16) + 2 < 16 ? 100 + l + 2 : 100 + l) << "lane " << l;
    EXPECT_EQ(xor4[l], 100 + (l ^ 1)) << "lane " << l;
    EXPECT_EQ(xor8[l], (l ^ 8) < l ? 100 + (l ^ 8) : 100 + l) << "lane " << l;
    EXPECT_EQ(down33[l], l < 31 ? 100 + l + 1 : 100 + l) << "lane " << l;
  }
}

// A warp sum by butterfly, the guide's reduction example, on 8-byte values (each moves as two 32-bit shuffles).
TEST(Shuffle, DoublesMoveWholeAndReduceAsInTheGuide) {
  std::array<double, 32> v{};
  for (int l = 0; l < 32; ++l) v[l] = 1.0 + l / 1024.0;
  double expected = 0;
  for (double x : v) expected += x;
  for (int offset = 16; offset > 0; offset /= 2) {
    const auto moved = probes::shuffle_double(cuda_emu::Shuffle::kDown, offset, v);
    for (int l = 0; l < 32; ++l) v[l] += moved[l];
  }
  EXPECT_EQ(v[0], expected);
  const auto from_7 = probes::shuffle_double(cuda_emu::Shuffle::kIndex, 7, v);
  EXPECT_EQ(from_7[20], v[7]);
}

// CUDA Math API, __byte_perm(x, y, s): "input bytes are indexed as follows: input[0] = x<7:0>, ... input[7] =
// y<31:24>"; result byte n is input[s<4n+2:4n>]. (Selector nibbles with bit 3 set, where prmt's default mode may
// replicate a sign, are not used by the kernels and not asserted here.)
TEST(BytePerm, SelectsBytesAsTheMathApiDefinesThem) {
  const std::uint32_t x = 0x33221100u, y = 0x77665544u;
  EXPECT_EQ(probes::byte_perm(x, y, 0x3210u), x);
  EXPECT_EQ(probes::byte_perm(x, y, 0x7654u), y);
  EXPECT_EQ(probes::byte_perm(x, y, 0x0123u), 0x00112233u);  // byte reversal
  EXPECT_EQ(probes::byte_perm(x, y, 0x5410u), 0x55441100u);  // the low halves side by side (pv_decode_fused's use)
  EXPECT_EQ(probes::byte_perm(x, y, 0x7632u), 0x77663322u);  // the high halves
}

}  // namespace

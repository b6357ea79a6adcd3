// gemm_mma: C[M x N] = A[M x K] * op(B) per (batch, head), fp16/bf16 in and out, fp32 accumulation.
//
// Technique: mma.sync m16n8k16 fed by ldmatrix from shared memory, filled by a STAGES-deep cp.async pipeline (the
// copy of tile k + STAGES - 1 overlaps the MMAs of tile k). Shared tiles are XOR-swizzled in 16-byte chunks so that
// both the cp.async stores and the ldmatrix reads of 8 rows hit 8 different bank groups. B is read either as [N x K]
// (K contiguous: the linears' W and qk's K) with ldmatrix, or as [K x N] (N contiguous: pv's V) with ldmatrix.trans.
// Blocks are ordered in groups of 8 tile rows so that concurrently running blocks share A and B tiles in L2.
// Expected bottleneck: the tensor pipe (large M, N, K); at M = b*s of 128 the operands' DRAM traffic.
// Limits (supports()): K and N multiples of 8, leading dimensions and strides multiples of 8 elements, 16-byte
// aligned bases; M is free. Edges are predicated: out-of-range chunks are zero-filled, out-of-range outputs not stored.
// Shared memory: 64 KiB (128x128) or 32 KiB (64x64), within the A40's 99 KiB per block.
#include <algorithm>

#include "kernels/gemm_mma.cuh"
#include "kernels/gemm_mma_common.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;

template <int BM_, int BN_, int WM_, int WN_, int STAGES_>
struct Tile {
  static constexpr int BM = BM_, BN = BN_, BK = 32, WM = WM_, WN = WN_, STAGES = STAGES_;
  static constexpr int THREADS = WM * WN * 32;
  static constexpr int WTM = BM / WM, WTN = BN / WN;                  // one warp's tile
  static constexpr int MT = WTM / 16, NT = WTN / 8;                   // MMA tiles per warp
  static constexpr int A_STAGE = BM * BK * 2, B_STAGE = BN * BK * 2;  // bytes
  static constexpr int SMEM = STAGES * (A_STAGE + B_STAGE);
  static_assert(NT % 2 == 0, "B fragments are loaded two n8 tiles at a time");
};

using Tile128 = Tile<128, 128, 2, 4, 4>;
using Tile64 = Tile<64, 64, 2, 2, 4>;

template <class Cfg, bool kBTransposed>
__device__ __forceinline__ void load_stage(const GemmArgs& p, const char* a, const char* b, std::uint32_t sa,
                                           std::uint32_t sb, int m0, int n0, int k0) {
  for (int i = threadIdx.x; i < Cfg::BM * 4; i += Cfg::THREADS) {
    const int row = i >> 2, chunk = i & 3;
    const std::int64_t gm = m0 + row, gk = k0 + chunk * 8;
    const bool valid = gm < p.m && gk < p.k;
    cp_async_16(sa + swizzle_k<4>(row, chunk), valid ? a + 2 * (gm * p.a.ld + gk) : a, valid);
  }
  if constexpr (kBTransposed) {  // B is [N x K]
    for (int i = threadIdx.x; i < Cfg::BN * 4; i += Cfg::THREADS) {
      const int row = i >> 2, chunk = i & 3;
      const std::int64_t gn = n0 + row, gk = k0 + chunk * 8;
      const bool valid = gn < p.n && gk < p.k;
      cp_async_16(sb + swizzle_k<4>(row, chunk), valid ? b + 2 * (gn * p.b.ld + gk) : b, valid);
    }
  } else {  // B is [K x N]
    constexpr int kChunks = Cfg::BN / 8;
    for (int i = threadIdx.x; i < Cfg::BK * kChunks; i += Cfg::THREADS) {
      const int k = i / kChunks, chunk = i % kChunks;
      const std::int64_t gk = k0 + k, gn = n0 + chunk * 8;
      const bool valid = gk < p.k && gn < p.n;
      cp_async_16(sb + swizzle_n<Cfg::BN>(k, chunk), valid ? b + 2 * (gk * p.b.ld + gn) : b, valid);
    }
  }
}

template <class Cfg, class T, bool kBTransposed>
__global__ void __launch_bounds__(Cfg::THREADS) gemm_mma_kernel(const GemmArgs p) {
#if BENCH_LLAMA_SM80_DEVICE
  BENCH_LLAMA_DYNAMIC_SHARED(smem, 128);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp / Cfg::WN, wn = warp % Cfg::WN;

  const TileOrigin tile = grouped_tile<Cfg::BM, Cfg::BN>(p, static_cast<int>(blockIdx.x));
  const int m0 = tile.m0, n0 = tile.n0;

  const char* a = matrix_base(p.a, blockIdx.z, p.heads);
  const char* b = matrix_base(p.b, blockIdx.z, p.heads);
  char* c = const_cast<char*>(matrix_base(p.c, blockIdx.z, p.heads));
  const std::uint32_t sa0 = smem_address(smem);
  const std::uint32_t sb0 = sa0 + Cfg::STAGES * Cfg::A_STAGE;

  float acc[Cfg::MT][Cfg::NT][4] = {};
  const int k_tiles = static_cast<int>((p.k + Cfg::BK - 1) / Cfg::BK);

#pragma unroll
  for (int s = 0; s < Cfg::STAGES - 1; ++s) {
    if (s < k_tiles) {
      load_stage<Cfg, kBTransposed>(p, a, b, sa0 + s * Cfg::A_STAGE, sb0 + s * Cfg::B_STAGE, m0, n0, s * Cfg::BK);
    }
    cp_async_commit();
  }

  for (int kt = 0; kt < k_tiles; ++kt) {
    cp_async_wait<Cfg::STAGES - 2>();
    // Tile kt has landed for every thread, and every thread is done with the stage about to be refilled (kt - 1).
    __syncthreads();
    const int next = kt + Cfg::STAGES - 1;
    if (next < k_tiles) {
      const int s = next % Cfg::STAGES;
      load_stage<Cfg, kBTransposed>(p, a, b, sa0 + s * Cfg::A_STAGE, sb0 + s * Cfg::B_STAGE, m0, n0, next * Cfg::BK);
    }
    cp_async_commit();  // an empty group near the end keeps the wait count uniform

    const std::uint32_t sa = sa0 + (kt % Cfg::STAGES) * Cfg::A_STAGE;
    const std::uint32_t sb = sb0 + (kt % Cfg::STAGES) * Cfg::B_STAGE;
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {  // two k16 steps per BK = 32
      std::uint32_t af[Cfg::MT][4];
      std::uint32_t bf[Cfg::NT][2];
#pragma unroll
      for (int mt = 0; mt < Cfg::MT; ++mt) {
        const int row = wm * Cfg::WTM + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        ldmatrix_x4(af[mt], sa + swizzle_k<4>(row, ks * 2 + (lane >> 4)));
      }
#pragma unroll
      for (int np = 0; np < Cfg::NT / 2; ++np) {
        std::uint32_t r[4];
        if constexpr (kBTransposed) {
          const int n = wn * Cfg::WTN + np * 16 + (lane & 7) + (lane >> 4) * 8;
          ldmatrix_x4(r, sb + swizzle_k<4>(n, ks * 2 + ((lane >> 3) & 1)));
        } else {
          const int k = ks * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
          const int chunk = (wn * Cfg::WTN + np * 16) / 8 + (lane >> 4);
          ldmatrix_x4_trans(r, sb + swizzle_n<Cfg::BN>(k, chunk));
        }
        bf[2 * np][0] = r[0];
        bf[2 * np][1] = r[1];
        bf[2 * np + 1][0] = r[2];
        bf[2 * np + 1][1] = r[3];
      }
#pragma unroll
      for (int mt = 0; mt < Cfg::MT; ++mt) {
#pragma unroll
        for (int nt = 0; nt < Cfg::NT; ++nt) mma_16816<T>(acc[mt][nt], af[mt], bf[nt]);
      }
    }
  }
  cp_async_wait<0>();

  store_accumulators<T>(acc, c, p, m0 + wm * Cfg::WTM, n0 + wn * Cfg::WTN, lane);
#endif
}

template <class Cfg>
cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  if (p.element == Element::kF16) {
    return p.b_transposed ? launch_tiles<Cfg, gemm_mma_kernel<Cfg, __half, true>>(p, stream)
                          : launch_tiles<Cfg, gemm_mma_kernel<Cfg, __half, false>>(p, stream);
  }
  return p.b_transposed ? launch_tiles<Cfg, gemm_mma_kernel<Cfg, __nv_bfloat16, true>>(p, stream)
                        : launch_tiles<Cfg, gemm_mma_kernel<Cfg, __nv_bfloat16, false>>(p, stream);
}

template <class Cfg>
const char* supports(const GemmArgs& p, int sm) {
  return mma_gemm_supports(p, sm, Cfg::BM, Cfg::BN);
}

// The big tile pays off once its tiles fill the GPU at least once; below that the 64x64 tile's parallelism wins.
bool suits_128(const GemmArgs& p) { return tiles_fill_gpu(p, Tile128::BM, Tile128::BN); }
bool suits_any(const GemmArgs&) { return true; }
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

GemmVariant gemm_mma_128x128_variant() {
  return {"gemm_mma_128x128", 80, 0, supports<Tile128>, launch<Tile128>, suits_128, no_workspace};
}

GemmVariant gemm_mma_64x64_variant() {
  return {"gemm_mma_64x64", 80, 0, supports<Tile64>, launch<Tile64>, suits_any, no_workspace};
}

}  // namespace kernels

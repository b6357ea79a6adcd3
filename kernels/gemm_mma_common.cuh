// What the two prefill mma.sync GEMMs (gemm_mma.cu, gemm_mma_w64.cu) share: the shared-memory swizzles, the grouped
// tile order, the epilogue and supports(). The kernels differ in their tiles and main loops, not in these.
#pragma once

#include <cstdint>

#include "kernels/gemm_args.cuh"
#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"

namespace kernels::detail {

// Byte offset of 16-byte chunk `chunk` of row `row` in a tile whose rows are CHUNKS chunks of K (A, and B as [N x K]).
// The XOR spreads the same chunk of 8 consecutive rows over the 8 16-byte bank groups, so that the cp.async stores
// (8 lanes per 128 bytes of a row) and the ldmatrix reads (one chunk of 8 rows per matrix) are conflict-free.
// 4 chunks (BK = 32): two rows share 128 bytes, so the XOR key is row / 2; 8 chunks (BK = 64): a row is 128 bytes.
template <int CHUNKS>
__device__ __forceinline__ int swizzle_k(int row, int chunk) {
  static_assert(CHUNKS == 4 || CHUNKS == 8, "rows of 64 or 128 bytes");
  if constexpr (CHUNKS == 4) {
    return row * 64 + ((chunk ^ ((row >> 1) & 3)) << 4);
  } else {
    return row * 128 + ((chunk ^ (row & 7)) << 4);
  }
}
// The same in a [BK x BN] tile (B as [K x N]: row = k, BN / 8 chunks per row): the low 3 bits of the chunk are XORed
// with k, so ldmatrix.trans reading one chunk of 8 consecutive k rows hits 8 bank groups.
template <int BN>
__device__ __forceinline__ int swizzle_n(int k, int chunk) {
  static_assert(BN >= 64, "the [K x N] swizzle needs at least 8 chunks per row");
  return k * (BN * 2) + ((chunk ^ (k & 7)) << 4);
}

// The tile of C a block computes. Blocks are ordered in groups of 8 tile rows so that concurrently running blocks
// share A and B tiles in L2.
struct TileOrigin {
  int m0, n0;
};
template <int BM, int BN>
__device__ __forceinline__ TileOrigin grouped_tile(const GemmArgs& p, int pid) {
  constexpr int kGroup = 8;
  const int grid_m = static_cast<int>((p.m + BM - 1) / BM);
  const int grid_n = static_cast<int>((p.n + BN - 1) / BN);
  const int width = kGroup * grid_n, first_m = (pid / width) * kGroup;
  const int group_rows = min(grid_m - first_m, kGroup);
  return {(first_m + (pid % width) % group_rows) * BM, ((pid % width) / group_rows) * BN};
}

// Epilogue: a warp's MT x NT m16n8 accumulator tiles, whose top-left element is C[row0][col0], rounded to T and
// stored. Each thread holds pairs of adjacent columns; N is a multiple of 8, so a pair is in or out as a whole.
template <class T, int MT, int NT>
__device__ __forceinline__ void store_accumulators(const float (&acc)[MT][NT][4], char* c, const GemmArgs& p,
                                                   std::int64_t row0, std::int64_t col0, int lane) {
  using Pair = typename MmaType<T>::pair;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const std::int64_t col = col0 + nt * 8 + 2 * t;
      if (col >= p.n) continue;
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const std::int64_t row = row0 + mt * 16 + g + half * 8;
        if (row < p.m) {
          *reinterpret_cast<Pair*>(c + 2 * (row * p.c.ld + col)) =
              MmaType<T>::pack(acc[mt][nt][2 * half], acc[mt][nt][2 * half + 1]);
        }
      }
    }
  }
}

inline bool aligned16(const void* p) { return (reinterpret_cast<std::uintptr_t>(p) & 15) == 0; }

inline bool operand_ok(const MatrixArg& m) {
  return m.ld % 8 == 0 && m.batch_stride % 8 == 0 && m.head_stride % 8 == 0 && m.head_group >= 1 &&
         (m.data == nullptr || aligned16(m.data));
}

// Tiles of BM x BN over one (batch, head) matrix.
inline std::int64_t tiles_per_matrix(const GemmArgs& p, int bm, int bn) {
  return ((p.m + bm - 1) / bm) * ((p.n + bn - 1) / bn);
}

// supports() of a BM x BN tile GEMM fed by 16-byte cp.async chunks: empty if it computes the problem correctly.
inline const char* mma_gemm_supports(const GemmArgs& p, int sm, int bm, int bn) {
  if (sm < 80) return "needs sm_80 or newer (mma.sync m16n8k16, cp.async)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (p.m < 1 || p.n < 1 || p.k < 1) return "empty problem";
  if (p.k % 8 != 0 || p.n % 8 != 0) return "K and N must be multiples of 8 (16-byte chunks)";
  if (!operand_ok(p.a) || !operand_ok(p.b) || !operand_ok(p.c)) {
    return "leading dimensions and strides must be multiples of 8 elements, bases 16-byte aligned";
  }
  if (p.batch * p.heads > 65535) return "more than 65535 (batch, head) matrices";
  if (tiles_per_matrix(p, bm, bn) > 0x7FFFFFFF) return "too many tiles for one grid";
  return "";
}

// Whether BM x BN tiles fill the GPU at least once: where a big tile pays off, and below which a smaller tile's
// parallelism wins.
inline bool tiles_fill_gpu(const GemmArgs& p, int bm, int bn) {
  return tiles_per_matrix(p, bm, bn) * p.batch * p.heads >= p.sm_count;
}

// Launches kKernel: one block per tile, grid z over every (batch, head), Cfg's threads and dynamic shared memory.
template <class Cfg, auto kKernel>
cudaError_t launch_tiles(const GemmArgs& p, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(tiles_per_matrix(p, Cfg::BM, Cfg::BN)), 1,
                  static_cast<unsigned>(p.batch * p.heads));
  return launch_kernel(kKernel, {grid, dim3(Cfg::THREADS), Cfg::SMEM}, stream, p);
}

}  // namespace kernels::detail

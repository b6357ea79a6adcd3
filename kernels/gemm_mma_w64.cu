// gemm_mma_w64: C[M x N] = A[M x K] * op(B) per (batch, head), fp16/bf16 in and out, fp32 accumulation. gemm_mma's
// successor; the table (variants.cu) ranks them.
//
// What changed from gemm_mma, and why (gemm_mma spent as much time in ldmatrix as in the tensor pipe, and ~200
// instructions of copy addressing per 32 MMAs):
// - 64x64 warp tiles (4 x 8 m16n8 tiles, 128 fp32 accumulators per thread): per k16 step a warp loads 4 A and 4 B
//   ldmatrix.x4 for 32 MMAs (gemm_mma: 6 for 16, or 4 for 8), so shared-memory reads per MMA fall by a third or more.
// - BK = 64: one barrier and one pipeline step per 128 MMAs of a warp; shared rows of 128 bytes (XOR key row % 8).
// - Precomputed copies: each thread's 16-byte chunks are fixed rows apart, so its global pointer, its shared offset and
//   its in-range counts are computed once; per k-tile the pointer moves by a constant. Interior tiles (every row in
//   range and a whole k-tile) copy with no predicate at all; the edges (M, N, and the K tail when K is not a multiple
//   of 64) take a predicated copy that zero-fills what is out of range. Every loop within a k-tile has a compile-time
//   trip count and is unrolled.
// - Fragments for the next k16 step are loaded before the MMAs of this one (double-buffered registers); the barrier
//   sits before the last k16 step's MMAs, so the next k-tile's first fragments load under them.
// Tile: 128 x 128 x 64, 4 warps (2 x 2), 3 stages: 96 KiB of shared memory, within the A40's (sm_86/89) 99 KiB per
// block; sm_80 and sm_90 could take a 4th stage or a 256-row tile, which would need a second row of the table.
// Expected bottleneck: the tensor pipe for large M, N, K (one block of 4 warps per SM on sm_80/86, so latency hiding
// rests on the 32 independent MMAs per k16 step and the 2 k-tiles in flight); L2 bandwidth at 64 FLOP per byte of tile.
// Limits (supports()): as gemm_mma: K and N multiples of 8, leading dimensions and strides multiples of 8 elements,
// 16-byte aligned bases; M free. B as [N x K] (ldmatrix) or [K x N] (ldmatrix.trans), as gemm_mma.
#include "kernels/gemm_mma_common.cuh"
#include "kernels/gemm_mma_w64.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;

template <int BM_, int BN_, int WM_, int WN_, int STAGES_>
struct WideTile {
  static constexpr int BM = BM_, BN = BN_, BK = 64, WM = WM_, WN = WN_, STAGES = STAGES_;
  static constexpr int THREADS = WM * WN * 32;
  static constexpr int WTM = BM / WM, WTN = BN / WN;                  // one warp's tile
  static constexpr int MT = WTM / 16, NT = WTN / 8;                   // m16n8 tiles per warp
  static constexpr int KS = BK / 16;                                  // k16 steps per k-tile
  static constexpr int A_STAGE = BM * BK * 2, B_STAGE = BN * BK * 2;  // bytes
  static constexpr int SMEM = STAGES * (A_STAGE + B_STAGE);
  // Copies. A K-contiguous tile (A, and B as [N x K]) has K_CHUNKS 16-byte chunks per row: a thread copies one chunk
  // column, every K_ROW_STEP-th row. A [K x N] tile has N_CHUNKS chunks per k row: one chunk column, every
  // N_ROW_STEP-th k row. Consecutive lanes take consecutive chunks of a row, so a warp's copy covers whole 128-byte
  // lines.
  static constexpr int K_CHUNKS = BK / 8, N_CHUNKS = BN / 8;
  static constexpr int K_ROW_STEP = THREADS / K_CHUNKS, N_ROW_STEP = THREADS / N_CHUNKS;
  static constexpr int A_COPIES = BM / K_ROW_STEP, BT_COPIES = BN / K_ROW_STEP, BN_COPIES = BK / N_ROW_STEP;
  static_assert(WTM == 64 && WTN == 64, "the 64x64 warp tile is the point of this kernel");
  static_assert(K_CHUNKS == 8 && N_CHUNKS >= 8, "the swizzles of gemm_mma_common.cuh");
  // A thread's chunks are a multiple of 8 rows apart, so they share the XOR key (row % 8) and sit a constant number of
  // bytes apart in shared memory too.
  static_assert(K_ROW_STEP % 8 == 0 && N_ROW_STEP % 8 == 0, "copy rows must keep the swizzle key");
  static_assert(BM % K_ROW_STEP == 0 && BN % K_ROW_STEP == 0 && BK % N_ROW_STEP == 0, "whole copy rounds");
};

using Wide128 = WideTile<128, 128, 2, 2, 3>;

// One thread's share of one operand's k-tile copy: COPIES chunks, `step` bytes apart in global memory, a fixed stride
// apart in shared memory. Made once per block; after each k-tile the source moves by `advance`.
struct CopyPlan {
  const char* src;       // the thread's first chunk of the next k-tile to copy
  std::int64_t step;     // global bytes between the thread's chunks
  std::int64_t advance;  // global bytes from one k-tile to the next
  std::uint32_t dst;     // shared offset of the first chunk in a stage
  int first_k;           // K-contiguous: the chunk's first k in the tile; [K x N]: the thread's first k row
  int in_range;          // K-contiguous: chunks whose row is < M (or N); [K x N]: COPIES if the chunk's columns are < N
};

// How many of COPIES rows, STEP apart and the first `left` rows before the end, are in range.
template <int COPIES, int STEP>
__device__ __forceinline__ int rows_in_range(std::int64_t left) {
  return left <= 0                                     ? 0
         : left >= std::int64_t{COPIES - 1} * STEP + 1 ? COPIES
                                                       : static_cast<int>((left + STEP - 1) / STEP);
}

// A, or B as [N x K]: `rows` rows (M or N) from `row0`, K contiguous.
template <class Cfg, int COPIES>
__device__ __forceinline__ CopyPlan k_contiguous_plan(const char* base, std::int64_t ld, int row0, std::int64_t rows) {
  const int chunk = threadIdx.x % Cfg::K_CHUNKS, row = threadIdx.x / Cfg::K_CHUNKS;
  const std::int64_t left = rows - row0 - row;  // rows from this thread's first to the end of the matrix
  const int in_range = rows_in_range<COPIES, Cfg::K_ROW_STEP>(left);
  return {base + 2 * ((row0 + row) * ld + chunk * 8),
          2 * ld * Cfg::K_ROW_STEP,
          2 * Cfg::BK,
          static_cast<std::uint32_t>(swizzle_k<8>(row, chunk)),
          chunk * 8,
          in_range};
}

// B as [K x N]: BN columns from `col0`, N contiguous.
template <class Cfg>
__device__ __forceinline__ CopyPlan n_contiguous_plan(const char* base, std::int64_t ld, int col0, std::int64_t cols) {
  const int chunk = threadIdx.x % Cfg::N_CHUNKS, k = threadIdx.x / Cfg::N_CHUNKS;
  const int in_range = col0 + chunk * 8 < cols ? Cfg::BN_COPIES : 0;  // N is a multiple of 8: a chunk is in or out
  return {base + 2 * (k * ld + col0 + chunk * 8),
          2 * ld * Cfg::N_ROW_STEP,
          2 * ld * Cfg::BK,
          static_cast<std::uint32_t>(swizzle_n<Cfg::BN>(k, chunk)),
          k,
          in_range};
}

// How many of the thread's COPIES chunks of the k-tile starting at k0 are in range (they come first: chunk i is in
// range if i < the count). K is a multiple of 8, so a K-contiguous chunk is in or out as a whole.
template <bool kKContiguous, int COPIES, int ROW_STEP>
__device__ __forceinline__ int copies_in_range(const CopyPlan& c, int k0, std::int64_t k) {
  if constexpr (kKContiguous) {
    return k0 + c.first_k < k ? c.in_range : 0;
  } else {
    const std::int64_t left = k - k0 - c.first_k;  // k rows from the thread's first to the end of K
    return min(c.in_range, rows_in_range<COPIES, ROW_STEP>(left));
  }
}

// Issue one operand's copies of a k-tile into the stage at shared address `stage`. kChecked: chunks from `count` on
// are zero-filled and read nothing (their source is replaced by `fallback`, the matrix's first element).
template <int COPIES, int DST_STRIDE, bool kChecked>
__device__ __forceinline__ void copy_chunks(const CopyPlan& c, std::uint32_t stage, const char* fallback, int count) {
#pragma unroll
  for (int i = 0; i < COPIES; ++i) {
    const std::uint32_t dst = stage + c.dst + i * DST_STRIDE;
    if constexpr (kChecked) {
      const bool valid = i < count;
      cp_async_16(dst, valid ? c.src + i * c.step : fallback, valid);
    } else {
      cp_async_16(dst, c.src + i * c.step);
    }
  }
}

template <class Cfg, class T, bool kBTransposed>
__global__ void __launch_bounds__(Cfg::THREADS, 1) gemm_mma_w64_kernel(const GemmArgs p) {
#if BENCH_LLAMA_SM80_DEVICE
  BENCH_LLAMA_DYNAMIC_SHARED(smem, 128);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp / Cfg::WN, wn = warp % Cfg::WN;
  const TileOrigin tile = grouped_tile<Cfg::BM, Cfg::BN>(p, static_cast<int>(blockIdx.x));

  const char* a = matrix_base(p.a, blockIdx.z, p.heads);
  const char* b = matrix_base(p.b, blockIdx.z, p.heads);
  char* c = const_cast<char*>(matrix_base(p.c, blockIdx.z, p.heads));
  const std::uint32_t sa0 = smem_address(smem);
  const std::uint32_t sb0 = sa0 + Cfg::STAGES * Cfg::A_STAGE;

  // B's copy geometry: [N x K] like A, [K x N] by k rows.
  constexpr int B_COPIES = kBTransposed ? Cfg::BT_COPIES : Cfg::BN_COPIES;
  constexpr int B_ROW_STEP = kBTransposed ? Cfg::K_ROW_STEP : Cfg::N_ROW_STEP;
  constexpr int B_DST_STRIDE = kBTransposed ? Cfg::K_ROW_STEP * Cfg::BK * 2 : Cfg::N_ROW_STEP * Cfg::BN * 2;
  constexpr int A_DST_STRIDE = Cfg::K_ROW_STEP * Cfg::BK * 2;
  CopyPlan copy_a = k_contiguous_plan<Cfg, Cfg::A_COPIES>(a, p.a.ld, tile.m0, p.m);
  CopyPlan copy_b = kBTransposed ? k_contiguous_plan<Cfg, Cfg::BT_COPIES>(b, p.b.ld, tile.n0, p.n)
                                 : n_contiguous_plan<Cfg>(b, p.b.ld, tile.n0, p.n);

  const int k_tiles = static_cast<int>((p.k + Cfg::BK - 1) / Cfg::BK);
  // k-tiles [0, unchecked_tiles) of an interior block need no predicate: every row is in range and the tile is whole.
  const bool interior = tile.m0 + Cfg::BM <= p.m && tile.n0 + Cfg::BN <= p.n;
  const int unchecked_tiles = interior ? static_cast<int>(p.k / Cfg::BK) : 0;

  // Copies k-tile `kt` (the next one in order: the plans' sources point at it) into stage `stage`.
  auto copy_tile = [&](int kt, int stage) {
    const std::uint32_t sa = sa0 + stage * Cfg::A_STAGE, sb = sb0 + stage * Cfg::B_STAGE;
    if (kt < unchecked_tiles) {
      copy_chunks<Cfg::A_COPIES, A_DST_STRIDE, false>(copy_a, sa, a, Cfg::A_COPIES);
      copy_chunks<B_COPIES, B_DST_STRIDE, false>(copy_b, sb, b, B_COPIES);
    } else {
      const int k0 = kt * Cfg::BK;
      copy_chunks<Cfg::A_COPIES, A_DST_STRIDE, true>(
          copy_a, sa, a, copies_in_range<true, Cfg::A_COPIES, Cfg::K_ROW_STEP>(copy_a, k0, p.k));
      copy_chunks<B_COPIES, B_DST_STRIDE, true>(copy_b, sb, b,
                                                copies_in_range<kBTransposed, B_COPIES, B_ROW_STEP>(copy_b, k0, p.k));
    }
    copy_a.src += copy_a.advance;
    copy_b.src += copy_b.advance;
  };

  // ldmatrix row addresses within a stage. Lane l addresses row l % 8 of matrix l / 8. Every row a lane addresses is
  // its first row plus a multiple of 8, so the swizzle key stays the same and the other m16 / n16 / k16 tiles are
  // fixed byte offsets (immediates) from the ones computed here.
  //   A: matrices (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15), (rows 8-15, k 8-15) = a[0..3].
  //   B [N x K]: (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15) = b[0..1] of two n8 tiles.
  //   B [K x N], transposed on load: (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15): the same.
  const int a_row = wm * Cfg::WTM + (lane & 15);
  const int bt_row = wn * Cfg::WTN + (lane & 7) + (lane >> 4) * 8;
  const int bn_k = (lane & 7) + ((lane >> 3) & 1) * 8;
  std::uint32_t a_off[Cfg::KS], b_off[Cfg::KS];  // A: per k16 step; B: per k16 step ([N x K]) or per n16 pair ([K x N])
#pragma unroll
  for (int i = 0; i < Cfg::KS; ++i) {
    a_off[i] = swizzle_k<8>(a_row, 2 * i + (lane >> 4));
    b_off[i] = kBTransposed ? swizzle_k<8>(bt_row, 2 * i + ((lane >> 3) & 1))
                            : swizzle_n<Cfg::BN>(bn_k, (wn * Cfg::WTN + i * 16) / 8 + (lane >> 4));
  }
  static_assert(Cfg::KS == Cfg::NT / 2, "b_off holds one entry per k16 step and per n16 pair");
  static_assert(Cfg::KS % 2 == 0, "the next tile's first k16 step goes to buffer 0 while the last one reads buffer 1");

  float acc[Cfg::MT][Cfg::NT][4] = {};
  std::uint32_t af[2][Cfg::MT][4], bf[2][Cfg::NT][2];  // fragments of k16 steps ks (buffer ks % 2) and ks + 1
  auto load_fragments = [&](std::uint32_t sa, std::uint32_t sb, int ks, int buf) {
#pragma unroll
    for (int mt = 0; mt < Cfg::MT; ++mt) ldmatrix_x4(af[buf][mt], sa + a_off[ks] + mt * 16 * Cfg::BK * 2);
#pragma unroll
    for (int np = 0; np < Cfg::NT / 2; ++np) {
      std::uint32_t r[4];
      if constexpr (kBTransposed) {
        ldmatrix_x4(r, sb + b_off[ks] + np * 16 * Cfg::BK * 2);
      } else {
        ldmatrix_x4_trans(r, sb + b_off[np] + ks * 16 * Cfg::BN * 2);
      }
      bf[buf][2 * np][0] = r[0];
      bf[buf][2 * np][1] = r[1];
      bf[buf][2 * np + 1][0] = r[2];
      bf[buf][2 * np + 1][1] = r[3];
    }
  };

  // Pipeline: k-tile kt is copied in commit group kt (groups past the last tile are empty, so the count stays uniform)
  // into stage kt % STAGES. The barrier of k-tile kt sits before its last k16 step's MMAs, so the first fragments of
  // tile kt + 1 load while those MMAs run, and the stage a new copy refills was last read before the barrier.
#pragma unroll
  for (int s = 0; s < Cfg::STAGES - 1; ++s) {
    if (s < k_tiles) copy_tile(s, s);
    cp_async_commit();
  }
  cp_async_wait<Cfg::STAGES - 2>();  // groups 0..STAGES-2 committed, at most STAGES - 2 pending: tile 0 has landed
  __syncthreads();
  load_fragments(sa0, sb0, 0, 0);
  int read_stage = 0, write_stage = Cfg::STAGES - 1;
  for (int kt = 0; kt < k_tiles; ++kt) {
    // Stage (kt - 1) % STAGES, refilled here, was last read by the fragment loads of tile kt - 1, all issued before
    // the barrier of iteration kt - 1 (or, for kt = 0, it was never read).
    if (kt + Cfg::STAGES - 1 < k_tiles) copy_tile(kt + Cfg::STAGES - 1, write_stage);
    cp_async_commit();
    write_stage = write_stage == Cfg::STAGES - 1 ? 0 : write_stage + 1;

    const std::uint32_t sa = sa0 + read_stage * Cfg::A_STAGE, sb = sb0 + read_stage * Cfg::B_STAGE;
    read_stage = read_stage == Cfg::STAGES - 1 ? 0 : read_stage + 1;
#pragma unroll
    for (int ks = 0; ks < Cfg::KS; ++ks) {
      if (ks + 1 < Cfg::KS) {
        load_fragments(sa, sb, ks + 1, (ks + 1) & 1);
      } else {
        // kt + STAGES groups are committed (0..kt+STAGES-1); at most STAGES - 2 pending means groups 0..kt+1 are
        // done: tile kt + 1 has landed for this thread, and after the barrier for every thread. The barrier also
        // orders every warp's reads of stage kt % STAGES (all issued above) before the next iteration's copy into
        // stage (kt + STAGES) % STAGES, which is that stage.
        cp_async_wait<Cfg::STAGES - 2>();
        __syncthreads();
        if (kt + 1 < k_tiles) {
          load_fragments(sa0 + read_stage * Cfg::A_STAGE, sb0 + read_stage * Cfg::B_STAGE, 0, 0);
        }
      }
      const int buf = ks & 1;
#pragma unroll
      for (int mt = 0; mt < Cfg::MT; ++mt) {
#pragma unroll
        for (int j = 0; j < Cfg::NT; ++j) {
          const int nt = mt % 2 == 0 ? j : Cfg::NT - 1 - j;  // serpentine: consecutive MMAs share a B fragment
          mma_16816<T>(acc[mt][nt], af[buf][mt], bf[buf][nt]);
        }
      }
    }
  }
  cp_async_wait<0>();

  store_accumulators<T>(acc, c, p, tile.m0 + wm * Cfg::WTM, tile.n0 + wn * Cfg::WTN, lane);
#endif
}

template <class Cfg>
cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  if (p.element == Element::kF16) {
    return p.b_transposed ? launch_tiles<Cfg, gemm_mma_w64_kernel<Cfg, __half, true>>(p, stream)
                          : launch_tiles<Cfg, gemm_mma_w64_kernel<Cfg, __half, false>>(p, stream);
  }
  return p.b_transposed ? launch_tiles<Cfg, gemm_mma_w64_kernel<Cfg, __nv_bfloat16, true>>(p, stream)
                        : launch_tiles<Cfg, gemm_mma_w64_kernel<Cfg, __nv_bfloat16, false>>(p, stream);
}

template <class Cfg>
const char* supports(const GemmArgs& p, int sm) {
  return mma_gemm_supports(p, sm, Cfg::BM, Cfg::BN);
}

// As gemm_mma_128x128: the tile pays off once its tiles fill the GPU at least once.
bool suits_fill(const GemmArgs& p) { return tiles_fill_gpu(p, Wide128::BM, Wide128::BN); }
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

GemmVariant gemm_mma_w64_128x128_variant() {
  return {"gemm_mma_w64_128x128", 80, 0, supports<Wide128>, launch<Wide128>, suits_fill, no_workspace};
}

}  // namespace kernels

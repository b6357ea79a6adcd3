// The index math of the pipelined decode kernels (gemv_mma_pipe, pv_decode_fused, qk_decode_pipe), kept in small
// __host__ __device__ constexpr functions so that the CPU tests (tests/kernels/decode_schedule_test.cpp) can enumerate
// every block, warp, lane and iteration of a launch and prove each input element is used once and each output element
// written once, without a GPU. The kernels call exactly these functions.
//
// Stream-K (StreamK): the work is `tiles` output tiles, each a sum over `chunks` chunks of the reduction dimension
// (k32 chunks of K for the linears, k16 steps of the context for pv). The tiles x chunks units, flattened tile-major,
// are cut into `blocks` contiguous ranges of equal length (+-1), one per block of a grid sized to the resident slots,
// so every block streams the same number of bytes and no tail wave is left. A range crosses tile boundaries; a tile
// whose units lie in one block is stored by it, a tile split between blocks ("contributors") is finished by the last
// contributor to arrive, which adds the others' fp32 partials (SplitCounter in split_counter.cuh).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace kernels::detail {

struct StreamK {
  std::int64_t tiles = 0, chunks = 0, blocks = 0;

  __host__ __device__ constexpr std::int64_t units() const { return tiles * chunks; }
  // First unit of block j's range; block j covers [begin(j), begin(j + 1)).
  __host__ __device__ constexpr std::int64_t begin(std::int64_t j) const { return units() * j / blocks; }
  // The block whose range holds unit u: the largest j with begin(j) <= u.
  __host__ __device__ constexpr std::int64_t owner(std::int64_t u) const { return ((u + 1) * blocks - 1) / units(); }
  __host__ __device__ constexpr std::int64_t first_block(std::int64_t tile) const { return owner(tile * chunks); }
  __host__ __device__ constexpr std::int64_t last_block(std::int64_t tile) const {
    return owner(tile * chunks + chunks - 1);
  }
  __host__ __device__ constexpr bool split(std::int64_t tile) const { return first_block(tile) != last_block(tile); }
  __host__ __device__ constexpr int contributors(std::int64_t tile) const {
    return static_cast<int>(last_block(tile) - first_block(tile) + 1);
  }
  // A block has at most two split tiles: the one its range starts in and the one it ends in. Slot 0 holds the partial
  // of the tile its range starts in, slot 1 the other. The writer and the reducer both ask this function.
  __host__ __device__ constexpr int slot(std::int64_t block, std::int64_t tile) const {
    return begin(block) >= tile * chunks ? 0 : 1;
  }
};

// One segment of a block's range: the chunks [c0, c1) of one tile.
struct Segment {
  std::int64_t tile = 0, c0 = 0, c1 = 0;
};
__host__ __device__ constexpr Segment segment_at(const StreamK& sk, std::int64_t u, std::int64_t range_end) {
  const std::int64_t tile = u / sk.chunks, c0 = u % sk.chunks;
  const std::int64_t c1 = c0 + (range_end - u) < sk.chunks ? c0 + (range_end - u) : sk.chunks;
  return {tile, c0, c1};
}

// The warps of a block share a segment's chunks round robin: warp w takes c0 + w, c0 + w + warps, ...
__host__ __device__ constexpr int warp_chunk_count(std::int64_t c0, std::int64_t c1, int warp, int warps) {
  return c1 - c0 > warp ? static_cast<int>((c1 - c0 - warp + warps - 1) / warps) : 0;
}
__host__ __device__ constexpr std::int64_t warp_chunk(std::int64_t c0, int warp, int i, int warps) {
  return c0 + warp + static_cast<std::int64_t>(i) * warps;
}

// A warp's ring of shared-memory stages (cp.async): chunk i of its list lives in slot ring_slot(i); the copy of chunk
// i + stages - 1 is issued, into the slot chunk i - 1 has freed, before the wait for chunk i.
__host__ __device__ constexpr int ring_slot(int i, int stages) { return i % stages; }

// Rows and columns past the end are clamped, not predicated: every load is issued unconditionally from a valid
// address, and what a clamped row or column computes is never stored.
__host__ __device__ constexpr std::int64_t clamp_index(std::int64_t i, std::int64_t extent) {
  return i < extent ? i : extent - 1;
}

// gemv_mma_pipe's shape: 8 warps share a tile's chunks, a tile is 4 n8 tiles (32 columns), a ring 3 chunks deep.
struct GemvPipe {
  static constexpr int kWarps = 8, NT = 4, BLOCK_N = NT * 8, STAGES = 3;
};

// gemv_mma_pipe's k32 chunk: lane (g, t) loads elements 8t .. 8t+7 of it, from a start clamped to K - 8 (K is a
// multiple of 8, so a clamped load stays inside the row); `k_valid` false means the loaded B is replaced by zeros.
__host__ __device__ constexpr std::int64_t gemv_k(std::int64_t chunk, int t) { return chunk * 32 + 8 * t; }

// The fragments of gemv's chunk, built from each lane's own 16-byte pieces (gemv_mma.cu's header explains why any
// consistent permutation of k is allowed): register `reg` (0..3) of the A fragment of k16 step `step` (0, 1) is 32-bit
// word gemv_a_word(step, reg) of the lane's piece of rows g (gemv_a_upper false) or g + 8 (true); register `reg`
// (0, 1) of the B fragment is word gemv_b_word(step, reg) of its piece of B. The CPU test runs these through the
// m16n8k16 layout of the PTX ISA and checks the products.
__host__ __device__ constexpr int gemv_a_word(int step, int reg) { return 2 * step + reg / 2; }
__host__ __device__ constexpr bool gemv_a_upper(int reg) { return reg % 2 == 1; }
__host__ __device__ constexpr int gemv_b_word(int step, int reg) { return 2 * step + reg; }

// pv_decode_fused's shape: 8 warps share a tile's k16 chunks (16 rows of the context), a tile is 64 columns of d for
// the query heads of one KV head (the MMA's M rows), a ring 3 chunks deep.
struct PvPipe {
  static constexpr int kWarps = 8, STAGES = 3, COLS = 64, N8 = COLS / 8;
};
// The fragments of pv's k16 chunk (V stored [s x d]: the MMA wants two rows of one column where a 16-byte load gives
// one row of 8 columns, so k and n are both permuted, consistently for A, B and C):
// - lane (g, t) copies 4 pieces of V, piece q being row pv_row(t, q) of the chunk, columns 8g .. 8g+7 of the tile,
//   and one 8-byte piece of P per row group: the same 4 rows for query row g (and g + 8);
// - half h of register `reg` of the B fragment of n8 tile j is element j of piece pv_b_piece(reg, h): MMA k slots
//   2t, 2t+1, 2t+8, 2t+9 are rows 4t .. 4t+3;
// - register `reg` of the A fragment is word pv_a_word(reg) of the P piece of rows g (pv_a_upper false) or g + 8;
// - MMA column n of n8 tile j is column pv_col(n, j) of the tile.
__host__ __device__ constexpr int pv_row(int t, int piece) { return 4 * t + piece; }
__host__ __device__ constexpr int pv_b_piece(int reg, int half) { return 2 * reg + half; }
__host__ __device__ constexpr int pv_a_word(int reg) { return reg / 2; }
__host__ __device__ constexpr bool pv_a_upper(int reg) { return reg % 2 == 1; }
__host__ __device__ constexpr int pv_col(int n, int j) { return 8 * n + j; }
// The __byte_perm selector that puts element j of two pieces side by side, from word j / 2 of each: the low halves
// (j even) or the high halves (j odd).
__host__ __device__ constexpr unsigned pv_b_selector(int j) { return j % 2 == 0 ? 0x5410u : 0x7632u; }

// Where the m16n8k16 MMA puts accumulator element i (0..3) of lane (g, t): row and column within the 16 x 8 tile.
__host__ __device__ constexpr int mma_c_row(int i, int g) { return g + (i >= 2 ? 8 : 0); }
__host__ __device__ constexpr int mma_c_col(int i, int t) { return 2 * t + (i & 1); }

// qk_decode_pipe's shape: independent warps (no reduction: a warp tile is 8 keys times all of head_dim), 8 per block,
// a ring 3 key tiles deep.
struct QkPipe {
  static constexpr int kWarps = 8, STAGES = 3, KEYS = 8;
};

// Tiles with whole reductions per warp (qk_decode_pipe): `tiles` warp tiles over `warps` warps, warp w owning the
// contiguous tiles [first(w), first(w + 1)), so every warp streams the same bytes (+-1 tile). A warp's range is walked
// in segments of one (batch, KV head) each (the query fragments are loaded once per segment, before its loop).
struct WarpRanges {
  std::int64_t tiles = 0, warps = 0;
  __host__ __device__ constexpr std::int64_t first(std::int64_t w) const { return tiles * w / warps; }
};
// End of the segment that starts at tile `t` of a range ending at `range_end`, with `per_head` tiles per head.
__host__ __device__ constexpr std::int64_t head_segment_end(std::int64_t t, std::int64_t range_end,
                                                            std::int64_t per_head) {
  return (t / per_head + 1) * per_head < range_end ? (t / per_head + 1) * per_head : range_end;
}

}  // namespace kernels::detail

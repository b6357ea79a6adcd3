// The body the pipelined stream-K decode kernels share (gemv_mma_pipe, pv_decode_fused); each supplies an Op that says
// how one warp copies one chunk, multiplies it and stores a tile:
//   Op::kWarps, Op::kStages, Op::kSlotBytes     warps per block, ring depth, bytes per warp and ring slot
//   Op::kTiles                                  n8 accumulator tiles per lane (4 floats each)
//   Op::Tile Op::tile(p, tile_index, lane)      what a lane needs for the tile of a segment (its row addresses)
//   Op::copy(tile, slot_address, chunk, lane, policy)   cp.async of the lane's pieces of one chunk into a slot
//   Op::mma(acc, slot, lane)                    the chunk's MMAs from the slot (each lane reads only what it copied)
//   Op::store(p, tile, acc, lane)               the tile's outputs
// The schedule (decode_schedule.cuh): a grid of resident blocks, each with a contiguous range of (tile, chunk) units;
// per segment (one tile's chunks in one block) the block's warps take the chunks round robin through a per-warp
// cp.async ring, Op::kStages deep: the copy of chunk i + kStages - 1 is issued before the wait for chunk i, so the
// in-flight depth does not depend on how ptxas orders the instructions. The warps' accumulators are added in shared
// memory (a stash overlaid on the drained ring); a tile split between blocks is finished by its last contributor
// (split_counter.cuh).
// Workspace: `counters` (one per block of the grid), `partials` (two slots of kTiles * 4 * 32 floats per block).
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/decode_schedule.cuh"
#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/split_counter.cuh"
#include "kernels/target.cuh"

namespace kernels::detail {

template <class Op>
__device__ __forceinline__ void stream_k_pipeline(const GemmArgs& p, const StreamK& sk, unsigned long long* counters,
                                                  float* partials, std::uint64_t token) {
  constexpr int W = Op::kWarps, S = Op::kStages, NT = Op::kTiles, E = NT * 4;
  static_assert(W == 8, "the stash reduction adds 8 warps");
  static_assert(4 * E * 32 * sizeof(float) <= W * S * Op::kSlotBytes, "the stash is overlaid on the rings");
  BENCH_LLAMA_DYNAMIC_SHARED(smem, 128);
  float(*stash)[E][32] = reinterpret_cast<float(*)[E][32]>(smem);  // 4 slots, used once the rings are drained
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  unsigned char* ring = smem + warp * S * Op::kSlotBytes;
  const std::uint32_t ring_address = smem_address(ring);
  const std::uint64_t policy = evict_first_policy();
  const std::int64_t block = blockIdx.x, range_end = sk.begin(block + 1);

  for (std::int64_t u = sk.begin(block); u < range_end;) {
    const Segment seg = segment_at(sk, u, range_end);
    u += seg.c1 - seg.c0;
    const typename Op::Tile tile = Op::tile(p, seg.tile, lane);

    float acc[NT][4] = {};
    const int count = warp_chunk_count(seg.c0, seg.c1, warp, W);
#pragma unroll
    for (int s = 0; s < S - 1; ++s) {
      if (s < count) {
        Op::copy(tile, ring_address + ring_slot(s, S) * Op::kSlotBytes, warp_chunk(seg.c0, warp, s, W), lane, policy);
      }
      cp_async_commit();
    }
#pragma unroll 1
    for (int i = 0; i < count; ++i) {
      const int ahead = i + S - 1;  // into the slot chunk i - 1 has freed
      if (ahead < count) {
        Op::copy(tile, ring_address + ring_slot(ahead, S) * Op::kSlotBytes, warp_chunk(seg.c0, warp, ahead, W), lane,
                 policy);
      }
      cp_async_commit();       // an empty group near the end keeps the count uniform
      cp_async_wait<S - 1>();  // chunk i has landed; chunks i + 1 .. i + S - 1 stay in flight
      Op::mma(acc, ring + ring_slot(i, S) * Op::kSlotBytes, lane);
    }
    cp_async_wait<0>();

    // Add the 8 warps' accumulators: 7 -> 3, 6 -> 2, 5 -> 1, 4 -> 0, then 3, 2, 1 -> 0.
    __syncthreads();  // every warp is done with its ring
    if (warp >= 4) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) stash[warp - 4][nt * 4 + i][lane] = acc[nt][i];
      }
    }
    __syncthreads();
    if (warp < 4) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          acc[nt][i] += stash[warp][nt * 4 + i][lane];
          if (warp > 0) stash[warp][nt * 4 + i][lane] = acc[nt][i];  // its own slot: no race
        }
      }
    }
    __syncthreads();
    if (warp == 0) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          acc[nt][i] += stash[1][nt * 4 + i][lane] + stash[2][nt * 4 + i][lane] + stash[3][nt * 4 + i][lane];
        }
      }
    }
    __syncthreads();  // the stash is read: the rings may be refilled
    if (warp != 0) continue;

    if (!sk.split(seg.tile)) {
      Op::store(p, tile, acc, lane);
      continue;
    }
    // A split tile: park this block's partial, arrive, and the last contributor adds them all in block order.
    float* mine = partials + ((block * 2 + sk.slot(block, seg.tile)) * E) * 32;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
      for (int i = 0; i < 4; ++i) __stcg(mine + (nt * 4 + i) * 32 + lane, acc[nt][i]);
    }
    __threadfence();
    __syncwarp();
    int last = 0;
    if (lane == 0) last = arrive_on(counters + sk.first_block(seg.tile), token, sk.contributors(seg.tile)) ? 1 : 0;
    if (__shfl_sync(0xFFFFFFFFu, last, 0) == 0) continue;
    __threadfence();
    float sum[NT][4] = {};
    for (std::int64_t j = sk.first_block(seg.tile); j <= sk.last_block(seg.tile); ++j) {
      const float* theirs = partials + ((j * 2 + sk.slot(j, seg.tile)) * E) * 32;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) sum[nt][i] += __ldcg(theirs + (nt * 4 + i) * 32 + lane);
      }
    }
    Op::store(p, tile, sum, lane);
  }
}

// The persistent grid's cap: at most this many resident blocks per SM, so the workspace is sized for
// sm_count * kStreamKMaxBlocksPerSm blocks.
inline constexpr int kStreamKMaxBlocksPerSm = 4;
inline int stream_k_max_blocks(const GemmArgs& p) { return std::max(p.sm_count, 1) * kStreamKMaxBlocksPerSm; }

// Bytes of workspace for the grid of stream_k_max_blocks(p) blocks at most.
template <class Op>
std::size_t stream_k_workspace_bytes(const GemmArgs& p) {
  return static_cast<std::size_t>(stream_k_max_blocks(p)) *
         (sizeof(unsigned long long) + 2 * sizeof(float) * Op::kTiles * 4 * 32);
}

// Host side, shared by the launch functions of gemv_mma_pipe and pv_decode_fused.
using StreamKKernel = void (*)(GemmArgs, StreamK, unsigned long long*, float*, std::uint64_t);

// Launches `kernel` over tiles x chunks units on a persistent grid of min(per_sm, cap) blocks per SM (never more
// blocks than units), the workspace laid out as stream_k_workspace_bytes counts it: counters, then partials.
inline cudaError_t launch_stream_k(StreamKKernel kernel, const GemmArgs& p, std::int64_t tiles, std::int64_t chunks,
                                   int per_sm, int threads, int smem, cudaStream_t stream) {
  if (per_sm < 1) return cudaErrorInvalidConfiguration;
  StreamK sk;
  sk.tiles = tiles;
  sk.chunks = chunks;
  sk.blocks = std::min<std::int64_t>(std::max(p.sm_count, 1) * std::min(per_sm, kStreamKMaxBlocksPerSm), sk.units());
  auto* counters = static_cast<unsigned long long*>(p.workspace);
  auto* partials = reinterpret_cast<float*>(counters + stream_k_max_blocks(p));
  return launch_kernel(kernel, {dim3(static_cast<unsigned>(sk.blocks)), dim3(threads), static_cast<std::size_t>(smem)},
                       stream, p, sk, counters, partials, next_launch_token());
}

}  // namespace kernels::detail

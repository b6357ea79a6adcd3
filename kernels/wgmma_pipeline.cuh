// What the Hopper GEMMs (gemm_wgmma.cu, gemm_wgmma_setmaxnreg.cu) share on the device: the mbarrier wait with its
// watchdog, the retiring of a consumer's stages, and the two epilogues (registers to global memory, or staged through
// shared memory and stored by TMA). sm_90a only; the PTX they use is in kernels/ptx/.
#pragma once

#include <cuda.h>

#include <cstdint>
#include <cstring>

#include "kernels/gemm_args.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/ptx/cluster.cuh"
#include "kernels/ptx/mbarrier.cuh"
#include "kernels/ptx/special_registers.cuh"
#include "kernels/ptx/tma.cuh"
#include "kernels/ptx/warpgroup.cuh"
#include "kernels/target.cuh"
#include "kernels/wgmma_schedule.cuh"

namespace kernels::wgmma {

#if BENCH_LLAMA_SM90A_DEVICE
// Waits for the phase of parity `parity` of an mbarrier to complete, with a watchdog: a wait that has not passed after
// kWatchdogNs of %globaltimer traps, so a pipeline that deadlocks ends its launch with an error (which the GPU test
// reports under the variant's name) instead of hanging until the runbook's step limit. No wait that works comes near
// 5 s: a stage waits at most for one k-tile of the consumers' MMAs or one tile's epilogue (microseconds; milliseconds
// under compute-sanitizer). The clock is read only once the first try has failed, so a wait that passes at once costs
// one try_wait.
constexpr unsigned long long kWatchdogNs = 5ull * 1000 * 1000 * 1000;
__device__ __forceinline__ void mbar_wait(std::uint32_t bar, int parity) {
  if (mbar_try_wait(bar, parity)) return;
  const unsigned long long start = detail::global_ns();
  while (!mbar_try_wait(bar, parity)) {
    if (detail::global_ns() - start > kWatchdogNs) __trap();
  }
}

// A stage given back to the producers of every block of a cluster of CLUSTER (1: this block's alone).
template <int CLUSTER>
__device__ __forceinline__ void release_stage(std::uint32_t bar) {
  if constexpr (CLUSTER == 1) {
    mbar_arrive(bar);
  } else {
#pragma unroll
    for (int r = 0; r < CLUSTER; ++r) mbar_arrive_in(bar, r);
  }
}

// After a consumer's k-tile of wgmmas: commit them as one group and keep it in flight while waiting only for the group
// before it, whose stage (`previous`) then goes back to the producer (one arrival per warpgroup); `stage` moves on
// around the ring of STAGES buffers.
// In a cluster of CLUSTER blocks the stage goes back to every block's producer (each writes part of it).
template <int STAGES, int CLUSTER = 1>
__device__ __forceinline__ void retire_previous_stage(std::uint32_t empty, int lane_in_group, int& previous, int& stage,
                                                      int& phase) {
  wgmma_commit();
  wgmma_wait<1>();
  if (previous >= 0 && lane_in_group == 0) release_stage<CLUSTER>(empty + 8 * previous);
  previous = stage;
  if (++stage == STAGES) {
    stage = 0;
    phase ^= 1;
  }
}

// Every MMA of the tile done: the accumulators may be read, and the last stage goes back to the producer.
template <int CLUSTER = 1>
__device__ __forceinline__ void retire_last_stage(std::uint32_t empty, int lane_in_group, int previous) {
  wgmma_wait<0>();
  if (previous >= 0 && lane_in_group == 0) release_stage<CLUSTER>(empty + 8 * previous);
}

// Epilogue of one consumer warpgroup: its 64 x BN fp32 accumulators (wgmma_async's layout) into C rows row0 .. row0 +
// 63 from column n0 of matrix `pair`, as 16-bit pairs, each a 4-byte store, predicated on the edges.
template <int BN, class T>
__device__ __forceinline__ void store_accumulators(const GemmArgs& p, const float (&acc)[BN / 2], int pair, int heads,
                                                   std::int64_t row0, std::int64_t n0, int lane_in_group) {
  using Pair = typename detail::MmaType<T>::pair;
  const int warp = lane_in_group / 32, lane = lane_in_group % 32, g = lane / 4, t4 = lane % 4;
  const int pair_batch = pair / heads, pair_head = pair % heads;
  char* c = static_cast<char*>(p.c.data) +
            2 * (pair_batch * p.c.batch_stride + (pair_head / p.c.head_group) * p.c.head_stride);
#pragma unroll
  for (int j = 0; j < BN / 8; ++j) {
    const std::int64_t col = n0 + 8 * j + 2 * t4;
    if (col >= p.n) continue;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const std::int64_t row = row0 + warp * 16 + g + 8 * half;
      if (row < p.m) {
        *reinterpret_cast<Pair*>(c + 2 * (row * p.c.ld + col)) =
            detail::MmaType<T>::pack(acc[4 * j + 2 * half], acc[4 * j + 2 * half + 1]);
      }
    }
  }
}

// The same epilogue through TMA stores: the 64 x BN accumulators go out as BN / 64 boxes of 64 x 64 (8 KiB), each
// staged in one of the warpgroup's two 1024-aligned buffers at `staging` (128-byte swizzled rows, as the 128B-swizzle
// map reads them: row r's 16-byte chunk j sits at chunk j ^ (r % 8), which also keeps a warp's 4-byte shared stores,
// 8 rows x 4 lanes, free of bank conflicts) and stored by the warpgroup's first thread while the others fill the other
// buffer. The map clips what lies outside C. The box's coordinates: (col0, row0) in matrix (head, batch), in the map's
// order (rows_in_head). The caller waits for the stores (store_wait_all) before its block exits.
template <int BN, class T>
__device__ __forceinline__ void store_accumulators_tma(const CUtensorMap* map_c, bool rows_in_head,
                                                       const float (&acc)[BN / 2], int col0, int row0, int head,
                                                       int batch, std::uint32_t staging, int consumer,
                                                       int lane_in_group) {
  const int warp = lane_in_group / 32, lane = lane_in_group % 32, g = lane / 4, t4 = lane % 4;
#pragma unroll
  for (int q = 0; q < BN / 64; ++q) {
    const std::uint32_t buffer = staging + (q % 2) * (64 * 128);
    if (lane_in_group == 0) store_wait_read<1>();  // the store that read this buffer two boxes ago is done with it
    warpgroup_sync(consumer);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int r = warp * 16 + g + 8 * half;
        const auto pair =
            detail::MmaType<T>::pack(acc[4 * (8 * q + j) + 2 * half], acc[4 * (8 * q + j) + 2 * half + 1]);
        std::uint32_t bits;  // the pair's bits (a bit cast: reading a pair through a uint32_t* is undefined behaviour)
        memcpy(&bits, &pair, sizeof bits);
        st_shared_b32(buffer + r * 128 + ((j ^ (r % 8)) * 16) + 4 * t4, bits);
      }
    }
    fence_proxy_async();  // this thread's stores, seen by the TMA unit
    warpgroup_sync(consumer);
    if (lane_in_group == 0) {
      tma_store(map_c, col0 + 64 * q, rows_in_head ? row0 : head, rows_in_head ? head : row0, batch, buffer);
      store_commit();
    }
  }
}
#endif  // BENCH_LLAMA_SM90A_DEVICE

}  // namespace kernels::wgmma

// Thread-block clusters (PTX ISA, "barrier.cluster", "%cluster_ctarank"): the blocks of a cluster run at once and can
// reach each other's shared memory. sm_90a only, and not emulated yet.
#pragma once

#include <cstdint>

#include "kernels/target.cuh"

namespace kernels::wgmma {

#if BENCH_LLAMA_SM90A_DEVICE
// This block's rank in its cluster.
__device__ __forceinline__ int cluster_rank() {
  std::uint32_t rank;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(rank));
  return static_cast<int>(rank);
}
// Every thread of every block of the cluster arrives and waits (release/acquire at cluster scope: barrier
// initialisations before it are seen by the other blocks, and no block leaves while another may still signal its
// barriers).
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;\n" ::: "memory");
}
#endif  // BENCH_LLAMA_SM90A_DEVICE

}  // namespace kernels::wgmma

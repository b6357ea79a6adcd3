// The tensor memory accelerator (PTX ISA, "cp.async.bulk.tensor", "cp.async.bulk.commit_group",
// "cp.async.bulk.wait_group", "fence.proxy.async"): 4-D boxes of a tensor described by a CUtensorMap, copied between
// global and shared memory by the copy engine. sm_90a only, and not emulated yet.
#pragma once

#include <cuda.h>

#include <cstdint>

#include "kernels/target.cuh"

namespace kernels::wgmma {

#if BENCH_LLAMA_SM90A_DEVICE
// One 4-D box of a tensor into shared memory; completes its bytes on the mbarrier. The coordinates are in the order
// of the tensor map's dimensions, innermost first.
__device__ __forceinline__ void tma_load(std::uint32_t dst, const CUtensorMap* map, int c0, int c1, int c2, int c3,
                                         std::uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], "
      "[%6];\n" ::"r"(dst),
      "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
      : "memory");
}

// The same box into the same shared-memory offset of every block of the cluster in `mask` (bit r: rank r), each
// completing its bytes on the mbarrier at `bar`'s offset in that block.
__device__ __forceinline__ void tma_load_multicast(std::uint32_t dst, const CUtensorMap* map, int c0, int c1, int c2,
                                                   int c3, std::uint32_t bar, std::uint16_t mask) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster [%0], [%1, {%2, "
      "%3, %4, %5}], [%6], %7;\n" ::"r"(dst),
      "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar), "h"(mask)
      : "memory");
}

// TMA store (shared::cta to global, bulk groups): one 4-D box of shared memory into the tensor; the parts of the box
// outside the tensor are not written. A thread's stores form bulk groups: `store_commit` closes one;
// `store_wait_read<N>` waits until at most N of this thread's groups may still read their shared memory;
// `store_wait_all` until every group's writes are done.
__device__ __forceinline__ void tma_store(const CUtensorMap* map, int c0, int c1, int c2, int c3, std::uint32_t src) {
  asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [%0, {%1, %2, %3, %4}], [%5];\n" ::"l"(map),
               "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(src)
               : "memory");
}
__device__ __forceinline__ void store_commit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void store_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(N) : "memory");
}
__device__ __forceinline__ void store_wait_all() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

// A 32-bit store to shared memory (a staging buffer the copy engine reads next).
__device__ __forceinline__ void st_shared_b32(std::uint32_t address, std::uint32_t bits) {
  asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(address), "r"(bits) : "memory");
}
// Orders this thread's generic-proxy accesses to shared memory (ordinary stores, mbarrier initialisation) before the
// async proxy's (TMA, wgmma) that follow.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
#endif  // BENCH_LLAMA_SM90A_DEVICE

}  // namespace kernels::wgmma

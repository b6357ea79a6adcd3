// mbarriers in shared memory (PTX ISA, "Parallel Synchronization and Communication Instructions: mbarrier"): a phase
// completes when its expected arrivals have arrived and its expected transaction bytes (TMA copies) have landed.
// sm_90a only, and not emulated yet: these exist in the sm_90a device pass alone.
#pragma once

#include <cstdint>

#include "kernels/target.cuh"

namespace kernels::wgmma {

#if BENCH_LLAMA_SM90A_DEVICE
__device__ __forceinline__ void mbar_init(std::uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count));
}
__device__ __forceinline__ void mbar_expect_tx(std::uint32_t bar, std::uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes));
}
__device__ __forceinline__ void mbar_arrive(std::uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar));
}
// Whether the phase of parity `parity` has completed (one try; the hardware may wait a little before it answers).
__device__ __forceinline__ bool mbar_try_wait(std::uint32_t bar, int parity) {
  std::uint32_t done;
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n"
      "}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}
// An arrival on the mbarrier at the same shared-memory offset in block `rank` of the cluster ("mapa").
__device__ __forceinline__ void mbar_arrive_in(std::uint32_t bar, int rank) {
  asm volatile(
      "{\n"
      ".reg .b32 remote;\n"
      "mapa.shared::cluster.u32 remote, %0, %1;\n"
      "mbarrier.arrive.shared::cluster.b64 _, [remote];\n"
      "}\n" ::"r"(bar),
      "r"(rank)
      : "memory");
}
// Makes the mbarrier initialisations above it visible to the cluster (and to the async proxy that completes them).
__device__ __forceinline__ void fence_mbarrier_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::); }
#endif  // BENCH_LLAMA_SM90A_DEVICE

}  // namespace kernels::wgmma

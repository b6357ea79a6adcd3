// Special registers (PTX ISA, "Special Registers"): the SM a block runs on, the SM's cycle counter, the global
// nanosecond timer. Under the emulator: the block's SM by a fixed placement, a per-thread counter, the host's clock.
#pragma once

#include <cstdint>

#include "kernels/target.cuh"

namespace kernels::detail {

__device__ __forceinline__ std::uint32_t sm_id() {
#if defined(CUDA_EMU)
  return ::cuda_emu::smid();
#else
  std::uint32_t sm;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
  return sm;
#endif
}

__device__ __forceinline__ std::uint64_t clock_cycles() {
#if defined(CUDA_EMU)
  return ::cuda_emu::clock64();
#else
  std::uint64_t cycles;
  asm volatile("mov.u64 %0, %%clock64;" : "=l"(cycles));
  return cycles;
#endif
}

__device__ __forceinline__ std::uint64_t global_ns() {
#if defined(CUDA_EMU)
  return ::cuda_emu::globaltimer();
#else
  std::uint64_t ns;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(ns));
  return ns;
#endif
}

}  // namespace kernels::detail

// What the four warps of a warpgroup do together (PTX ISA, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate
// Instructions: wgmma", "Matrix Descriptor Format", "setmaxnreg", "bar.sync"): wgmma.mma_async and its fence, commit
// and wait; the shared-memory matrix descriptors it reads its operands through; the register reallocation between
// warpgroups; a named barrier over one warpgroup. sm_90a only, and not emulated yet.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>
#include <type_traits>

#include "kernels/target.cuh"

namespace kernels::wgmma {

#if BENCH_LLAMA_SM90A_DEVICE
// Shared-memory matrix descriptors, both for 128-byte swizzled tiles whose 1024-byte swizzle atoms start on 1024-byte
// boundaries (so the base offset, bits 49-51, is 0).
// K-major: rows of 128 bytes (64 k), 8-row groups 1024 bytes apart (stride byte offset); the leading byte offset is
// unused for swizzled K-major layouts (the PTX ISA says to set it to 1).
__device__ __forceinline__ std::uint64_t descriptor_k_major(std::uint32_t address) {
  std::uint64_t d = 0;
  d |= static_cast<std::uint64_t>((address & 0x3FFFF) >> 4);
  d |= static_cast<std::uint64_t>(1) << 16;          // leading byte offset (unused for swizzled K-major)
  d |= static_cast<std::uint64_t>(1024 >> 4) << 32;  // stride byte offset: 8 rows of 128 bytes
  d |= static_cast<std::uint64_t>(1) << 62;          // 128-byte swizzle
  return d;
}
// MN-major (B stored [K x N], read with wgmma's transposed-B mode): the canonical 128-byte-swizzle layout is
// ((64 n, m), (8 k, k/8)) : ((1 element, LBO), (128 bytes, SBO)) for 16-bit elements: an atom holds 8 k-rows of 64
// contiguous n (1024 bytes); `lbo` is the distance between atoms along n, and SBO the distance between atoms along
// k (1024 here: the atoms of one 64-wide column block are stacked along k).
__device__ __forceinline__ std::uint64_t descriptor_mn_major(std::uint32_t address, std::uint32_t lbo) {
  std::uint64_t d = 0;
  d |= static_cast<std::uint64_t>((address & 0x3FFFF) >> 4);
  d |= static_cast<std::uint64_t>((lbo & 0x3FFFF) >> 4) << 16;  // leading byte offset: next 64 columns of n
  d |= static_cast<std::uint64_t>(1024 >> 4) << 32;             // stride byte offset: next 8 rows of k
  d |= static_cast<std::uint64_t>(1) << 62;                     // 128-byte swizzle
  return d;
}

#define BENCH_LLAMA_F8(i)                                                                                     \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), \
      "+f"(d[i + 7])
#define BENCH_LLAMA_F64(i)                                                                                          \
  BENCH_LLAMA_F8(i), BENCH_LLAMA_F8(i + 8), BENCH_LLAMA_F8(i + 16), BENCH_LLAMA_F8(i + 24), BENCH_LLAMA_F8(i + 32), \
      BENCH_LLAMA_F8(i + 40), BENCH_LLAMA_F8(i + 48), BENCH_LLAMA_F8(i + 56)
#define BENCH_LLAMA_R64                                                              \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "           \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
#define BENCH_LLAMA_R128                                                                         \
  BENCH_LLAMA_R64                                                                                \
  ", %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "           \
  "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "             \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, " \
  "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
// One wgmma with scale-d, imm-scale-a and imm-scale-b 1 (accumulate, no negation) and imm-trans-a 0 (A K-major).
#define BENCH_LLAMA_WGMMA(SHAPE, TYPE, REGS, OPERANDS, ...)                                \
  asm volatile(                                                                            \
      "{\n"                                                                                \
      "wgmma.mma_async.sync.aligned." SHAPE ".f32." TYPE "." TYPE " {" REGS "}, " OPERANDS \
      ";\n"                                                                                \
      "}\n"                                                                                \
      : __VA_ARGS__                                                                        \
      : "l"(desc_a), "l"(desc_b), "n"(TRANS_B))

// d (64 x N fp32, N / 2 registers a thread) += A (64 x 16, K-major, desc_a) * B (16 x N, desc_b): B K-major (stored
// [N x K]) when TRANS_B is 0, N-major (stored [K x N]) when TRANS_B is 1. Accumulator layout: warp w of the warpgroup
// holds rows 16w .. 16w + 15; per n8 block j, d[4j .. 4j + 3] as mma.sync's C fragment.
template <int N, int TRANS_B, class T>
__device__ __forceinline__ void wgmma_async(float (&d)[N / 2], std::uint64_t desc_a, std::uint64_t desc_b) {
  static_assert(N == 128 || N == 256, "m64n128k16 or m64n256k16");
  constexpr bool bf16 = std::is_same_v<T, __nv_bfloat16>;
  if constexpr (N == 128 && bf16) {
    BENCH_LLAMA_WGMMA("m64n128k16", "bf16", BENCH_LLAMA_R64, "%64, %65, 1, 1, 1, 0, %66", BENCH_LLAMA_F64(0));
  } else if constexpr (N == 128) {
    BENCH_LLAMA_WGMMA("m64n128k16", "f16", BENCH_LLAMA_R64, "%64, %65, 1, 1, 1, 0, %66", BENCH_LLAMA_F64(0));
  } else if constexpr (bf16) {
    BENCH_LLAMA_WGMMA("m64n256k16", "bf16", BENCH_LLAMA_R128, "%128, %129, 1, 1, 1, 0, %130", BENCH_LLAMA_F64(0),
                      BENCH_LLAMA_F64(64));
  } else {
    BENCH_LLAMA_WGMMA("m64n256k16", "f16", BENCH_LLAMA_R128, "%128, %129, 1, 1, 1, 0, %130", BENCH_LLAMA_F64(0),
                      BENCH_LLAMA_F64(64));
  }
}
#undef BENCH_LLAMA_WGMMA
#undef BENCH_LLAMA_R128
#undef BENCH_LLAMA_R64
#undef BENCH_LLAMA_F64
#undef BENCH_LLAMA_F8

// Orders the accumulators' ordinary register writes before the asynchronous MMAs that read them.
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
// The wgmmas issued since the last commit form one group.
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most N of the warpgroup's wgmma groups are pending.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

// Gives registers back to (dec) or takes them from (inc) the SM's pool, for every warp of the warpgroup.
template <int REGISTERS>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(REGISTERS));
}
template <int REGISTERS>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(REGISTERS));
}

// The 128 threads of warpgroup `id` (named barrier 1 + id; 0 is __syncthreads').
__device__ __forceinline__ void warpgroup_sync(int id) { asm volatile("bar.sync %0, 128;\n" ::"r"(1 + id) : "memory"); }
#endif  // BENCH_LLAMA_SM90A_DEVICE

}  // namespace kernels::wgmma

// Asynchronous copies from global to shared memory (PTX ISA, "cp.async", "cp.async.commit_group",
// "cp.async.wait_group") and the L2 cache policy some of them carry ("createpolicy"). A thread's copies form groups at
// each commit; a wait retires all but the N most recent groups of that thread, and only then may the thread read the
// destination (other threads: after a barrier as well). Under the emulator each is emulator/ptx_sm80.cpp's, which
// writes the destination only at the retiring wait and reports any access before.
#pragma once

#include <cstdint>

#include "kernels/target.cuh"

namespace kernels::detail {

// 16-byte asynchronous copy global -> shared, bypassing L1; with `valid` false the destination is zero-filled and
// nothing is read (the source must still be a valid address).
__device__ __forceinline__ void cp_async_16(std::uint32_t dst, const void* src, bool valid BENCH_LLAMA_SITE) {
  const int bytes = valid ? 16 : 0;
#if defined(CUDA_EMU)
  ::cuda_emu::cp_async(dst, src, 16, bytes, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
#endif
}
// The same without a zero-fill size, for a chunk known to be in range (the interior tiles' unpredicated copies).
__device__ __forceinline__ void cp_async_16(std::uint32_t dst, const void* src BENCH_LLAMA_SITE) {
#if defined(CUDA_EMU)
  ::cuda_emu::cp_async(dst, src, 16, 16, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(src));
#endif
}
// An L2 policy that evicts first what is loaded under it: for data streamed once (a weight, the KV cache), so that it
// does not push the operands that are read again (the activations) out of L2.
__device__ __forceinline__ std::uint64_t evict_first_policy() {
#if defined(CUDA_EMU)
  return ::cuda_emu::create_policy_evict_first();
#else
  std::uint64_t policy;
  asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(policy));
  return policy;
#endif
}
// cp_async_16 under an L2 cache policy.
__device__ __forceinline__ void cp_async_16_hint(std::uint32_t dst, const void* src, bool valid,
                                                 std::uint64_t policy BENCH_LLAMA_SITE) {
  const int bytes = valid ? 16 : 0;
#if defined(CUDA_EMU)
  (void)policy;
  ::cuda_emu::cp_async(dst, src, 16, bytes, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("cp.async.cg.shared.global.L2::cache_hint [%0], [%1], 16, %2, %3;\n" ::"r"(dst), "l"(src), "r"(bytes),
               "l"(policy));
#endif
}
// 8-byte asynchronous copy through L1 (cp.async.ca: 4 and 8 bytes have no .cg form); zero-filled when `valid` is
// false.
__device__ __forceinline__ void cp_async_8(std::uint32_t dst, const void* src, bool valid BENCH_LLAMA_SITE) {
  const int bytes = valid ? 8 : 0;
#if defined(CUDA_EMU)
  ::cuda_emu::cp_async(dst, src, 8, bytes, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
#endif
}
__device__ __forceinline__ void cp_async_commit(BENCH_LLAMA_SITE_ONLY) {
#if defined(CUDA_EMU)
  ::cuda_emu::cp_async_commit_group(BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
// The "memory" clobber keeps the compiler from moving this thread's plain loads of the destination above the wait
// (the decode kernels read their own copies with no barrier after it), as CCCL's cuda::ptx wrapper does.
template <int N>
__device__ __forceinline__ void cp_async_wait(BENCH_LLAMA_SITE_ONLY) {
#if defined(CUDA_EMU)
  ::cuda_emu::cp_async_wait_group(N, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

}  // namespace kernels::detail

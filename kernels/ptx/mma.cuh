// Warp-level matrix instructions (PTX ISA, "Warp Level Matrix Multiply-Accumulate Instructions"): mma.sync m16n8k16
// with fp32 accumulation, and ldmatrix, which loads its fragments from shared memory. Every lane of the warp executes
// each of them (.sync.aligned). Under the emulator each is emulator/ptx_sm80.cpp's, from the same PTX definitions.
//
// Fragment layout of mma.m16n8k16.row.col (g = lane / 4, t = lane % 4), which every kernel here relies on:
//   A (16x16): a[0] = A[g][2t..2t+1], a[1] = A[g+8][2t..2t+1], a[2] = A[g][2t+8..2t+9], a[3] = A[g+8][2t+8..2t+9]
//   B (16x8):  b[0] = B[2t..2t+1][g], b[1] = B[2t+8..2t+9][g]
//   C (16x8):  c[0..1] = C[g][2t..2t+1], c[2..3] = C[g+8][2t..2t+1]
// (the lower 16 bits of a register hold the first of its two elements).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "kernels/target.cuh"

namespace kernels::detail {

// d += a * b, fp32 accumulation.
template <class T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const std::uint32_t (&a)[4],
                                          const std::uint32_t (&b)[2] BENCH_LLAMA_SITE) {
#if defined(CUDA_EMU)
  ::cuda_emu::mma_m16n8k16(d, a, b,
                           std::is_same_v<T, __nv_bfloat16> ? ::cuda_emu::MmaInput::kBF16 : ::cuda_emu::MmaInput::kF16,
                           BENCH_LLAMA_SITE_ARG);
#elif BENCH_LLAMA_SM80_DEVICE
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
#endif
}

// The shared-window address of a pointer into shared memory, as ldmatrix and cp.async take it.
__device__ __forceinline__ std::uint32_t smem_address(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

// Four 8x8 matrices of 16-bit elements; lane l gives the row address of matrix l / 8, row l % 8.
__device__ __forceinline__ void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t address BENCH_LLAMA_SITE) {
#if defined(CUDA_EMU)
  ::cuda_emu::ldmatrix_x4(r, address, false, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
#endif
}

// The same, each matrix transposed on the way (for an operand stored k-major when the MMA wants it n-major).
__device__ __forceinline__ void ldmatrix_x4_trans(std::uint32_t (&r)[4], std::uint32_t address BENCH_LLAMA_SITE) {
#if defined(CUDA_EMU)
  ::cuda_emu::ldmatrix_x4(r, address, true, BENCH_LLAMA_SITE_ARG);
#else
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
#endif
}

}  // namespace kernels::detail

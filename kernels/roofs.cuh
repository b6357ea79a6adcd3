// Kernels that measure the machine rather than an operator: the DRAM bandwidth roof (read, copy), the L2 flush the
// cold-cache timing relies on, and the tensor-core peak (a register-only mma.sync loop).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/element.cuh"

namespace kernels {

// Reads `bytes` (a multiple of 16) with 16-byte loads; folds them into `sink` so the loads cannot be removed.
cudaError_t dram_read(const void* data, std::int64_t bytes, std::uint32_t* sink, int sm_count, cudaStream_t stream);

// Copies `bytes` (a multiple of 16) with 16-byte loads and stores: 2 * bytes of DRAM traffic.
cudaError_t dram_copy(void* dst, const void* src, std::int64_t bytes, int sm_count, cudaStream_t stream);

// Reads and rewrites every 16-byte word of `data`, so an earlier kernel's lines are gone from L2 afterwards.
// `bytes` should be at least twice the L2 size.
cudaError_t l2_flush(void* data, std::int64_t bytes, int sm_count, cudaStream_t stream);

// Issues `iterations` rounds of independent m16n8k16 mma.sync per warp (fp16 or bf16 in, fp32 accumulate), from
// registers only. Writes one float per warp to `sink` (blocks * warps_per_block floats) so nothing is optimised away.
// FLOPs = mma_peak_flops(blocks, iterations).
inline constexpr int kMmaPeakWarpsPerBlock = 8;
inline constexpr int kMmaPeakChains = 8;  // independent accumulators per warp, to cover the MMA pipeline latency
cudaError_t mma_peak(Element element, int blocks, int iterations, float* sink, cudaStream_t stream);
inline double mma_peak_flops(int blocks, int iterations) {
  return 2.0 * 16 * 8 * 16 * kMmaPeakChains * static_cast<double>(iterations) * blocks * kMmaPeakWarpsPerBlock;
}

}  // namespace kernels

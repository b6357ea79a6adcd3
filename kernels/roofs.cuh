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

// mma_peak with every MMA fed by a different operand set: kMmaPeakRotatingSets sets of A and B fragments, distinct
// random-looking fp16/bf16 values per thread (as a real GEMM's tiles are), rotated so that no two consecutive MMAs of a
// chain, and no two chains of one round, read the same registers. mma_peak's single operand pair toggles almost nothing
// in the datapath and may run at clocks no real GEMM sees; this is the honest roof. `iterations` must be a multiple
// of kMmaPeakRotatingSets. FLOPs = mma_peak_rotating_flops(blocks, iterations) (the same count as mma_peak's).
inline constexpr int kMmaPeakRotatingSets = 4;
cudaError_t mma_peak_rotating(Element element, int blocks, int iterations, float* sink, cudaStream_t stream);
inline double mma_peak_rotating_flops(int blocks, int iterations) { return mma_peak_flops(blocks, iterations); }

}  // namespace kernels

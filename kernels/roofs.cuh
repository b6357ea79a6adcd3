// Kernels that measure the machine rather than an operator: the DRAM bandwidth roof (read, copy), the L2 flush the
// cold-cache timing relies on, the tensor-core peak (a register-only mma.sync loop), and the SM clock probe.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/element.cuh"

namespace kernels {

// Reads `bytes` (a multiple of 16) with 16-byte loads; folds them into `sink` so the loads cannot be removed.
cudaError_t dram_read(const void* data, std::int64_t bytes, std::uint32_t* sink, int sm_count, cudaStream_t stream);

// Copies `bytes` (a multiple of 16) with 16-byte loads and stores: 2 * bytes of DRAM traffic.
cudaError_t dram_copy(void* dst, const void* src, std::int64_t bytes, int sm_count, cudaStream_t stream);

// Empties L2 of every earlier kernel's lines and leaves it clean, in two passes over buffers of `bytes` each (at
// least twice the L2 size): a read-modify-write of every 16-byte word of `scratch` (an earlier kernel's lines, dirty
// or not, are evicted by lines the flush owns), then a read-only pass over `clean` with caching loads, which evicts the
// scratch lines again, so their write-back happens inside the flush too. What stays in L2 is clean: the next timed
// kernel pays for no write-back of traffic it never made (tens of MB on an H100, up to +50 % on a decode GEMV).
// `sink` (one word) keeps the read pass from being removed.
cudaError_t l2_flush(void* scratch, const void* clean, std::int64_t bytes, std::uint32_t* sink, int sm_count,
                     cudaStream_t stream);

// Reads `bytes` (a multiple of 16) with plain caching 16-byte loads (lines are kept in L2, unlike dram_read's
// streaming loads); folds them into `sink`. The flush's clean pass, and a warm-cache read for the harness's tests.
cudaError_t cached_read(const void* data, std::int64_t bytes, std::uint32_t* sink, int sm_count, cudaStream_t stream);

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

// One SM's clock stamp: its cycle counter (%clock64, at the SM clock) and the global nanosecond timer (%globaltimer)
// read together. Two stamps of the same SM taken before and after a timed interval give that SM's mean clock over it.
struct alignas(16) ClockStamp {
  std::uint64_t cycles = 0;
  std::uint64_t ns = 0;  // 0: no block ran on this SM
};
// Holds the stream until the host writes a non-zero value to `flag` (pinned, mapped host memory), so that everything
// the host enqueues after it (a sample's start event, its launches, its stop event) is queued before any of it runs:
// the sample then measures the GPU's time, not the host's launch rate or latency. Gives up after `timeout_ns` of
// waiting and sets *timed_out (device memory) to 1, so a host that never releases it cannot hang the GPU.
cudaError_t stream_gate(const volatile int* flag, int* timed_out, std::uint64_t timeout_ns, cudaStream_t stream);

static_assert(sizeof(ClockStamp) == 16, "clock_probe writes a stamp with one 16-byte store");
// Slots clock_probe fills: one per SM id (%smid < %nsmid, which no GPU yet reaches).
inline constexpr int kClockProbeSlots = 1024;

// Writes one stamp per SM into `stamps[smid]` (kClockProbeSlots entries): 2 * sm_count blocks of one warp, so that
// every SM almost surely runs one. A microsecond kernel; the caller zeroes `stamps` first.
cudaError_t clock_probe(ClockStamp* stamps, int sm_count, cudaStream_t stream);

}  // namespace kernels

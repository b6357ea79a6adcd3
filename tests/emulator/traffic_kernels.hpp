// Small kernels with known memory traffic (traffic_kernels.cu, compiled for the emulator), each launched once with
// traffic counted; they return what the emulator counted.
#pragma once

#include <vector>

#include "emulator/emulator.hpp"

namespace traffic {

// Whether plain loads and stores reach the emulator in this build (not under AddressSanitizer).
bool plain_accesses_counted();

// out[i] = in[i * stride] over `blocks` blocks of `threads` threads (4-byte floats). Its footprint is left for
// cuda_emu::take_footprints().
std::vector<cuda_emu::TrafficCount> copy_floats(int stride, int blocks, int threads);
// One warp: s[lane * stride] = lane, then out[lane] = s[lane * stride] + s[0] (4-byte words of shared memory).
std::vector<cuda_emu::TrafficCount> shared_words(int stride);
// One warp: each lane cp.async's 16 contiguous bytes of global memory to shared offset lane * dst_stride.
std::vector<cuda_emu::TrafficCount> cp_async_rows(int dst_stride);
// One warp, one cp.async site reached three times a lane: 16 bytes of `a` (lanes 0-6 only; the others copy zero
// bytes), then 16 bytes of `b` (every lane), then nothing (every lane off), as one unrolled helper serves two operands.
std::vector<cuda_emu::TrafficCount> cp_async_shared_site();
// One warp: ldmatrix.x4 with lane l's row at shared offset l * row_stride.
std::vector<cuda_emu::TrafficCount> ldmatrix_rows(int row_stride);

}  // namespace traffic

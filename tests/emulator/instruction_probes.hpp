// Single emulated instructions, run by one warp on given operands (instruction_probes.cu, compiled for the emulator),
// so that the tests can compare the emulator's instruction model with layouts from outside this project.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "emulator/device_api.hpp"

namespace probes {

// Per lane: A's 4 registers, B's 2, C's 4 floats; returns D's 4 floats per lane.
using Lanes4 = std::array<std::array<std::uint32_t, 4>, 32>;
using Lanes2 = std::array<std::array<std::uint32_t, 2>, 32>;
using LanesF = std::array<std::array<float, 4>, 32>;
LanesF mma(const Lanes4& a, const Lanes2& b, const LanesF& c, cuda_emu::MmaInput input);

// `shared` (16-bit elements) is copied into shared memory, then every lane runs ldmatrix.x4 with the address of
// element row_start[lane]; returns each lane's 4 registers.
Lanes4 ldmatrix_x4(const std::vector<std::uint16_t>& shared, const std::array<std::uint32_t, 32>& row_start,
                   bool trans);

// Every lane of `mask` shuffles values[lane]; returns what each lane receives (lanes outside the mask: their own).
std::array<std::uint32_t, 32> shuffle(cuda_emu::Shuffle mode, std::uint32_t mask, int lane_or_delta, int width,
                                      const std::array<std::uint32_t, 32>& values);
// The same on 8-byte values (two 32-bit shuffles on the GPU).
std::array<double, 32> shuffle_double(cuda_emu::Shuffle mode, int lane_or_delta, const std::array<double, 32>& values);

std::uint32_t byte_perm(std::uint32_t x, std::uint32_t y, std::uint32_t selector);

}  // namespace probes

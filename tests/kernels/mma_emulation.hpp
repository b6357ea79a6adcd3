// The warp-wide MMA m16n8k16 (fp16/bf16 in, fp32 accumulate) on the CPU, laid out as the PTX ISA defines its
// fragments ("Matrix Fragments for mma.m16n8k16 with floating point type"), for the schedule tests: they build each
// lane's fragments with the kernels' own index functions and check the products against a plain matrix product.
// Values are doubles holding small integers, so every sum is exact.
#pragma once

#include <array>

namespace kernels_test {

// A fragment register holds two 16-bit elements: half 0 is the lower address (the lower k or column).
using Reg = std::array<double, 2>;
struct WarpFragments {
  std::array<std::array<Reg, 4>, 32> a{};  // lane, register
  std::array<std::array<Reg, 2>, 32> b{};
};
using WarpAccumulators = std::array<std::array<double, 4>, 32>;

// Where element (row, col) of A (16 x 16), (k, n) of B (16 x 8) and (row, col) of C (16 x 8) live.
struct Place {
  int lane, reg, half;
};
inline Place a_place(int row, int col) { return {(row % 8) * 4 + (col % 8) / 2, (row >= 8) + 2 * (col >= 8), col % 2}; }
inline Place b_place(int k, int n) { return {n * 4 + (k % 8) / 2, k >= 8, k % 2}; }
inline Place c_place(int row, int col) { return {(row % 8) * 4 + col / 2, 2 * (row >= 8) + col % 2, 0}; }

// d += a * b for the warp.
inline void mma_16816(WarpAccumulators& d, const WarpFragments& f) {
  for (int row = 0; row < 16; ++row) {
    for (int col = 0; col < 8; ++col) {
      double sum = 0;
      for (int k = 0; k < 16; ++k) {
        const Place pa = a_place(row, k), pb = b_place(k, col);
        sum += f.a[pa.lane][pa.reg][pa.half] * f.b[pb.lane][pb.reg][pb.half];
      }
      const Place pc = c_place(row, col);
      d[pc.lane][pc.reg] += sum;
    }
  }
}

}  // namespace kernels_test

// The Hopper GEMMs' tile walk (gemm_wgmma, gemm_wgmma_128x256): which tile a block of the persistent grid takes next,
// in plain blocks and in thread-block clusters stacked along M. __host__ __device__ and free of device intrinsics, so
// that tests/kernels/wgmma_tile_schedule_test.cpp replays the kernels' exact walk on the CPU.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace kernels::wgmma {

// The tiles of a launch: grid_m x grid_n tiles for each of `pairs` (batch, head) matrices.
struct TileGrid {
  int grid_m, grid_n;
  std::int64_t pairs;  // (batch, head) matrices
  __host__ __device__ std::int64_t tiles() const { return static_cast<std::int64_t>(grid_m) * grid_n * pairs; }
};

// Tile number -> (first row, first column, matrix). Within a matrix the tiles go in groups of 8 tile rows, column by
// column, so the blocks working at one time share their B columns and a few A rows in L2.
template <int BM, int BN, class Index>
__host__ __device__ __forceinline__ void tile_coords(const TileGrid& grid, Index tile, int& m0, int& n0, int& pair) {
  constexpr int kGroup = 8;
  const Index per_pair = static_cast<Index>(grid.grid_m) * grid.grid_n;
  pair = static_cast<int>(tile / per_pair);
  const int t = static_cast<int>(tile % per_pair), width = kGroup * grid.grid_n, first = (t / width) * kGroup;
  const int rows = grid.grid_m - first < kGroup ? grid.grid_m - first : kGroup;
  m0 = (first + (t % width) % rows) * BM;
  n0 = ((t % width) / rows) * BN;
}

// A cluster of CLUSTER blocks takes CLUSTER tiles stacked along M (same columns, same matrix): `clusters` counts
// cluster tiles (grid_m = tile rows / CLUSTER, rounded up), walked as tile_coords walks tiles; block `rank` of the
// cluster takes the rank-th tile of cluster tile `tile`. Where the tile rows are not a multiple of CLUSTER, the last
// cluster tile's upper blocks get rows at or beyond M: they still load and multicast their share of B.
template <int BM, int BN, int CLUSTER, class Index>
__host__ __device__ __forceinline__ void cluster_tile_coords(const TileGrid& clusters, Index tile, int rank, int& m0,
                                                             int& n0, int& pair) {
  tile_coords<BM * CLUSTER, BN>(clusters, tile, m0, n0, pair);
  m0 += rank * BM;
}

}  // namespace kernels::wgmma

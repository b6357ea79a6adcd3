// The Hopper GEMMs' tile walk without a GPU: the persistent grid of gemm_wgmma_128x256, in plain blocks and in 2x1
// clusters, replayed on the CPU through the kernels' own wgmma::cluster_tile_coords. For every grid shape it proves
// each tile of every (batch, head) matrix is computed exactly once, that the blocks of a cluster always hold tiles
// with the same columns and matrix (so the B tile they multicast is the one both need) stacked along M, and that both
// walk the same number of tiles (their producers and consumers meet stage by stage, or the cluster deadlocks).
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <tuple>

#include "kernels/wgmma_schedule.cuh"

namespace {

using kernels::wgmma::cluster_tile_coords;
using kernels::wgmma::TileGrid;

constexpr int kBM = 128, kBN = 256;

struct Walk {
  std::map<std::tuple<int, int, int>, int> computed;  // (m0, n0, pair) -> times
  int beyond_m = 0;                                   // tiles whose rows start at or past M (upper blocks' padding)
};

// Every block of a launch of `clusters` clusters of CLUSTER blocks, as the kernel's producer and consumers walk it.
template <int CLUSTER>
Walk walk(int tile_rows, int tile_cols, int pairs, int clusters) {
  const TileGrid grid{(tile_rows + CLUSTER - 1) / CLUSTER, tile_cols, pairs};
  const int tiles = static_cast<int>(grid.tiles());
  Walk w;
  for (int cluster = 0; cluster < clusters; ++cluster) {
    int steps[CLUSTER] = {};
    for (int tile = cluster; tile < tiles; tile += clusters) {
      int m0_first = 0, n0_first = 0, pair_first = 0;
      for (int rank = 0; rank < CLUSTER; ++rank) {
        int m0 = -1, n0 = -1, pair = -1;
        cluster_tile_coords<kBM, kBN, CLUSTER>(grid, tile, rank, m0, n0, pair);
        ++steps[rank];
        if (rank == 0) {
          m0_first = m0, n0_first = n0, pair_first = pair;
        } else {
          EXPECT_EQ(n0, n0_first) << "blocks of one cluster share B's columns";
          EXPECT_EQ(pair, pair_first) << "and its matrix";
          EXPECT_EQ(m0, m0_first + rank * kBM) << "and are stacked along M";
        }
        EXPECT_GE(m0, 0);
        EXPECT_EQ(m0 % kBM, 0);
        EXPECT_EQ(n0 % kBN, 0);
        EXPECT_LT(n0, tile_cols * kBN);
        EXPECT_GE(pair, 0);
        EXPECT_LT(pair, pairs);
        if (m0 >= tile_rows * kBM) {
          EXPECT_GT(rank, 0) << "only an upper block of the last cluster row may fall past M";
          ++w.beyond_m;
        } else {
          ++w.computed[{m0, n0, pair}];
        }
      }
    }
    for (int rank = 1; rank < CLUSTER; ++rank) EXPECT_EQ(steps[rank], steps[0]) << "cluster " << cluster;
  }
  return w;
}

template <int CLUSTER>
void check_every_grid() {
  for (int tile_rows = 1; tile_rows <= 19; ++tile_rows) {
    for (int tile_cols : {1, 2, 5, 28}) {
      for (int pairs : {1, 3}) {
        for (int clusters : {1, 2, 7, 66}) {
          SCOPED_TRACE(testing::Message() << CLUSTER << "-block clusters, " << tile_rows << " x " << tile_cols
                                          << " tiles x " << pairs << " matrices, " << clusters << " clusters");
          const Walk w = walk<CLUSTER>(tile_rows, tile_cols, pairs, clusters);
          ASSERT_EQ(static_cast<int>(w.computed.size()), tile_rows * tile_cols * pairs) << "a tile was never computed";
          for (const auto& [tile, times] : w.computed) {
            EXPECT_EQ(times, 1) << "tile (" << std::get<0>(tile) << ", " << std::get<1>(tile) << ", "
                                << std::get<2>(tile) << ") computed " << times << " times";
          }
          const int padded_rows = (tile_rows + CLUSTER - 1) / CLUSTER * CLUSTER;
          EXPECT_EQ(w.beyond_m, (padded_rows - tile_rows) * tile_cols * pairs);
        }
      }
    }
  }
}

TEST(WgmmaTileSchedule, PlainBlocksComputeEveryTileOnce) { check_every_grid<1>(); }

TEST(WgmmaTileSchedule, ClustersOfTwoShareColumnsAndComputeEveryTileOnce) { check_every_grid<2>(); }

// A Llama 33B prefill linear (b * s = 4096, N = 6656 = 26 tiles of 256) on 66 clusters: the walk the kernel will do.
TEST(WgmmaTileSchedule, ALlamaLinearOnAnH100) {
  const Walk w = walk<2>(4096 / kBM, 6656 / kBN, 1, 66);
  EXPECT_EQ(static_cast<int>(w.computed.size()), 32 * 26);
  EXPECT_EQ(w.beyond_m, 0);
}

}  // namespace

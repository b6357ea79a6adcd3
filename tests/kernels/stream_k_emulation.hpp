// kernels/decode_pipeline.cuh replayed on the CPU: the stream-K ranges and segments, each warp's chunks through its
// cp.async ring, the 8 warps' sum, and the split tiles' partial slots and counters, with the kernels' own index
// functions (decode_schedule.cuh, split_counter.cuh). A Model supplies what the kernel's Op does:
//   Model::kWarps, kStages, kTiles           as the Op
//   model.stream_k(grid)                     the launch's StreamK (blocks capped at the units, as launch() does)
//   model.mma_chunk(tile, chunk, acc)        a warp's copies of one chunk and its MMAs (mma_emulation.hpp)
//   model.store(tile, acc)                   the tile's outputs
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/decode_schedule.cuh"
#include "kernels/split_counter.cuh"
#include "mma_emulation.hpp"

namespace kernels_test {

using kernels::detail::StreamK;

// Every unit of a stream-K split in exactly one block, block ranges contiguous and of equal length (+-1), owner() the
// inverse of begin(), each split tile's counter and partial slots its own.
inline void expect_stream_k_partition(const StreamK& sk) {
  ASSERT_GE(sk.units(), sk.blocks);
  const std::int64_t shortest = sk.units() / sk.blocks;
  for (std::int64_t j = 0; j < sk.blocks; ++j) {
    const std::int64_t length = sk.begin(j + 1) - sk.begin(j);
    ASSERT_TRUE(length == shortest || length == shortest + 1) << "block " << j << " has " << length << " units";
  }
  ASSERT_EQ(sk.begin(0), 0);
  ASSERT_EQ(sk.begin(sk.blocks), sk.units());
  for (std::int64_t j = 0; j < sk.blocks; ++j) {
    for (std::int64_t u : {sk.begin(j), sk.begin(j + 1) - 1}) ASSERT_EQ(sk.owner(u), j) << "unit " << u;
  }
  std::vector<int> counter_users(static_cast<std::size_t>(sk.blocks), 0);
  std::vector<int> slot_users(static_cast<std::size_t>(2 * sk.blocks), 0);
  for (std::int64_t tile = 0; tile < sk.tiles; ++tile) {
    if (!sk.split(tile)) continue;
    ++counter_users[static_cast<std::size_t>(sk.first_block(tile))];
    for (std::int64_t j = sk.first_block(tile); j <= sk.last_block(tile); ++j) {
      ++slot_users[static_cast<std::size_t>(2 * j + sk.slot(j, tile))];
    }
    ASSERT_EQ(sk.contributors(tile), sk.last_block(tile) - sk.first_block(tile) + 1);
  }
  EXPECT_LE(*std::max_element(counter_users.begin(), counter_users.end()), 1) << "two split tiles share a counter";
  EXPECT_LE(*std::max_element(slot_users.begin(), slot_users.end()), 1) << "two split tiles share a partial slot";
}

// Every (tile, chunk) unit done by exactly one (block, warp, ring iteration): the partition at full size, without
// emulating the lanes (for shapes too large to emulate element by element).
inline void expect_every_unit_once(const StreamK& sk, int warps) {
  expect_stream_k_partition(sk);
  std::vector<int> seen(static_cast<std::size_t>(sk.units()), 0);
  for (std::int64_t j = 0; j < sk.blocks; ++j) {
    for (std::int64_t u = sk.begin(j); u < sk.begin(j + 1);) {
      const auto seg = kernels::detail::segment_at(sk, u, sk.begin(j + 1));
      for (int w = 0; w < warps; ++w) {
        const int count = kernels::detail::warp_chunk_count(seg.c0, seg.c1, w, warps);
        for (int i = 0; i < count; ++i) {
          ++seen[static_cast<std::size_t>(seg.tile * sk.chunks + kernels::detail::warp_chunk(seg.c0, w, i, warps))];
        }
      }
      u += seg.c1 - seg.c0;
    }
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), sk.units()) << "a (tile, chunk) unit not done exactly once";
}

inline std::vector<std::int64_t> shuffled_blocks(std::int64_t blocks, unsigned seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(blocks));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

// A warp's `count` chunks through its cp.async ring, as the kernels walk it (ring_slot, copies S - 1 ahead): each chunk
// copied once, into a slot nobody still needs, used (`use(i)`) from the slot it was copied to, with the next S - 1
// chunks in flight while it is waited for.
template <int S, class Use>
void ring_replay(int count, Use use) {
  std::array<int, S> slot_holds;
  slot_holds.fill(-1);
  int consumed = -1;
  auto copy = [&](int i) {
    const int slot = kernels::detail::ring_slot(i, S);
    EXPECT_LE(slot_holds[static_cast<std::size_t>(slot)], consumed) << "slot overwritten before its chunk was used";
    slot_holds[static_cast<std::size_t>(slot)] = i;
  };
  for (int s = 0; s < S - 1; ++s) {
    if (s < count) copy(s);
  }
  for (int i = 0; i < count; ++i) {
    if (i + S - 1 < count) copy(i + S - 1);
    EXPECT_EQ(slot_holds[static_cast<std::size_t>(kernels::detail::ring_slot(i, S))], i);
    EXPECT_EQ(std::count_if(slot_holds.begin(), slot_holds.end(), [&](int c) { return c > i; }),
              std::min(S - 1, count - 1 - i));
    use(i);
    consumed = i;
  }
}

template <class Model>
class StreamKLaunch {
 public:
  using BlockAcc = std::array<WarpAccumulators, Model::kTiles>;

  StreamKLaunch(Model& model, std::int64_t grid) : model_(model), sk_(model.stream_k(grid)) {}
  const StreamK& stream_k() const { return sk_; }

  // One launch; blocks run one after another in `order`, which is the arrival order on the counters.
  void run(std::vector<std::uint64_t>& counters, std::uint64_t token, const std::vector<std::int64_t>& order) {
    partials_.assign(static_cast<std::size_t>(2 * sk_.blocks), {});
    for (std::int64_t block : order) run_block(block, counters, token);
  }

 private:
  void run_block(std::int64_t block, std::vector<std::uint64_t>& counters, std::uint64_t token) {
    const std::int64_t range_end = sk_.begin(block + 1);
    for (std::int64_t u = sk_.begin(block); u < range_end;) {
      const auto seg = kernels::detail::segment_at(sk_, u, range_end);
      u += seg.c1 - seg.c0;
      ASSERT_LT(seg.c0, seg.c1);
      BlockAcc sum{};
      for (int warp = 0; warp < Model::kWarps; ++warp) add(sum, run_warp(seg, warp));
      if (!sk_.split(seg.tile)) {
        model_.store(seg.tile, sum);
        continue;
      }
      auto& mine = partials_[static_cast<std::size_t>(2 * block + sk_.slot(block, seg.tile))];
      ASSERT_TRUE(mine.empty()) << "partial slot of block " << block << " written twice";
      mine.push_back(sum);
      std::uint64_t& counter = counters[static_cast<std::size_t>(sk_.first_block(seg.tile))];
      const auto step = kernels::detail::counter_arrive(counter, token, sk_.contributors(seg.tile));
      counter = step.next;
      if (!step.last) continue;
      BlockAcc total{};
      for (std::int64_t j = sk_.first_block(seg.tile); j <= sk_.last_block(seg.tile); ++j) {
        const auto& theirs = partials_[static_cast<std::size_t>(2 * j + sk_.slot(j, seg.tile))];
        ASSERT_EQ(theirs.size(), 1u) << "the last arrival found a missing partial";
        add(total, theirs.front());
      }
      model_.store(seg.tile, total);
    }
  }

  BlockAcc run_warp(const kernels::detail::Segment& seg, int warp) {
    BlockAcc acc{};
    ring_replay<Model::kStages>(kernels::detail::warp_chunk_count(seg.c0, seg.c1, warp, Model::kWarps), [&](int i) {
      model_.mma_chunk(seg.tile, kernels::detail::warp_chunk(seg.c0, warp, i, Model::kWarps), acc);
    });
    return acc;
  }

  static void add(BlockAcc& to, const BlockAcc& from) {
    for (int nt = 0; nt < Model::kTiles; ++nt) {
      for (int lane = 0; lane < 32; ++lane) {
        for (int i = 0; i < 4; ++i) to[nt][lane][i] += from[nt][lane][i];
      }
    }
  }

  Model& model_;
  StreamK sk_;
  std::vector<std::vector<BlockAcc>> partials_;
};

// Three launches on one workspace: the first on leftover bytes in the counters, which must leave them clean, then a
// replay with the same token (a CUDA graph) and a launch with a new one, each in another block order. `check` runs
// after each launch.
template <class Model, class Check>
void run_three_launches(Model& model, std::int64_t grid, Check check) {
  StreamKLaunch<Model> launch(model, grid);
  expect_stream_k_partition(launch.stream_k());
  std::vector<std::uint64_t> counters(static_cast<std::size_t>(launch.stream_k().blocks));
  std::mt19937_64 rng(11);
  for (auto& c : counters) c = rng();
  const std::uint64_t token = kernels::detail::next_launch_token();
  for (int i = 0; i < 3; ++i) {
    model.reset();
    launch.run(counters, i < 2 ? token : kernels::detail::next_launch_token(),
               shuffled_blocks(launch.stream_k().blocks, 1u + static_cast<unsigned>(i)));
    check();
    if (i == 0) {
      for (auto c : counters) {
        const bool clean = c == (token << kernels::detail::kCountBits);
        const bool untouched = (c >> kernels::detail::kCountBits) != token;
        EXPECT_TRUE(clean || untouched) << "a counter was left mid-count";
      }
    }
  }
}

}  // namespace kernels_test

// SplitCounter: "the last block to finish a split tile reduces it", with no memset and no second launch.
//
// A tile's C contributors each write an fp32 partial to the workspace and then arrive on the tile's counter; the
// arrival that brings the count to C is the last, and that block adds the partials and stores the output. The
// harness allocates the workspace once per problem and launches many times without clearing it, and cudaMalloc does
// not promise zeros, so the counter must (1) be left ready for the next launch by the kernel itself and (2) work on
// the first launch from whatever the memory holds. Both come from one 64-bit word per counter:
//   word = token << 20 | count
// `token` is a 44-bit number the launch function draws for each launch (next_launch_token(): a per-process random
// start, then +1 per launch, never 0). An arrival whose word carries another token (an earlier launch's, zeros, or
// any other leftover bytes) counts from 0. The last arrival writes (token, 0) back, so the next launch finds a clean
// counter even if it reuses the token (a CUDA graph replays its launches with the arguments it captured).
// The one case this misreads is leftover memory that happens to hold this launch's exact 44-bit token with a count
// in 1..C-1: with a random 44-bit start, a chance of about C / 2^44 per counter, for the first launch on that memory.
//
// Ordering (the CUDA programming guide's "last block" pattern): every thread that wrote a partial executes
// __threadfence() before the block (or warp) barrier that precedes the arrival; the last block executes
// __threadfence() again before reading the partials, which it reads from L2 (__ldcg), as they were written (__stcg).
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace kernels::detail {

inline constexpr int kCountBits = 20;
inline constexpr std::uint64_t kCountMask = (std::uint64_t{1} << kCountBits) - 1;
inline constexpr std::uint64_t kTokenMask = (std::uint64_t{1} << (64 - kCountBits)) - 1;
inline constexpr int kMaxContributors = static_cast<int>(kCountMask);

struct CounterStep {
  std::uint64_t next;  // the word to leave in the counter
  bool last;           // this arrival completes the tile
};

// One arrival on a counter that holds `seen`, for a tile with `contributors` arrivals in this launch.
__host__ __device__ constexpr CounterStep counter_arrive(std::uint64_t seen, std::uint64_t token, int contributors) {
  const std::uint64_t count = (seen >> kCountBits) == token ? (seen & kCountMask) : 0;
  const bool last = count + 1 >= static_cast<std::uint64_t>(contributors);
  return {last ? token << kCountBits : (token << kCountBits) | (count + 1), last};
}

// The host side: a new token per launch.
inline std::uint64_t next_launch_token() {
  static std::atomic<std::uint64_t> next{
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x9E3779B97F4A7C15ull};
  for (;;) {
    const std::uint64_t token = next.fetch_add(1, std::memory_order_relaxed) & kTokenMask;
    if (token != 0) return token;
  }
}

#if defined(__CUDACC__) || \
    defined(CUDA_EMU)  // device code (nvcc, or the emulator); the host-side tests include only the rest
// One thread arrives for its block (or warp); true for the last arrival. Call after the fence and barrier above.
__device__ __forceinline__ bool arrive_on(unsigned long long* counter, std::uint64_t token, int contributors) {
  unsigned long long seen = __ldcg(counter);
  for (;;) {
    const CounterStep step = counter_arrive(seen, token, contributors);
    const unsigned long long before = atomicCAS(counter, seen, step.next);
    if (before == seen) return step.last;
    seen = before;
  }
}
#endif

}  // namespace kernels::detail

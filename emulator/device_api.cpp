// Barriers, warp synchronisation and shuffles, shared memory, special registers: device_api.hpp's thread-level half.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "emulator/runtime.hpp"

namespace cuda_emu {

using detail::Block;
using detail::current_launch;
using detail::current_thread;
using detail::describe;
using detail::PendingCollective;
using detail::Thread;
using detail::ThreadState;

void syncthreads(Site site) {
  Thread& t = current_thread("__syncthreads", site);
  detail::Launch& launch = *current_launch();
  Block& b = *launch.block;
  if (b.at_barrier == 0) {
    b.barrier_site = site;
    b.barrier_sites_differ = false;
  } else if (b.barrier_site.line != site.line || b.barrier_site.file != site.file) {
    b.barrier_sites_differ = true;
  }
  ++b.at_barrier;
  t.state = ThreadState::kBarrier;
  t.wait_site = site;
  t.wait_what = "__syncthreads";
  const int n = static_cast<int>(b.threads.size());
  if (b.at_barrier == n) {
    if (b.barrier_sites_differ) {
      std::string sites;
      for (const Thread& other : b.threads) {
        const std::string s = describe(other.wait_site);
        if (sites.find(s) == std::string::npos) sites += (sites.empty() ? "" : ", ") + s;
      }
      detail::report(
          Finding::kBarrier,
          "the threads of the block meet at different __syncthreads (" + sites + "): a barrier inside divergent code",
          &t, site);
    }
    // Every thread arrived: a new epoch, whose threads run in a fresh order.
    b.at_barrier = 0;
    ++b.epoch;
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    if (options().shuffle_threads) std::shuffle(order.begin(), order.end(), launch.rng);
    for (int i : order) detail::wake(b.threads[i]);
  } else if (b.exited > 0 && b.at_barrier + b.exited == n) {
    detail::fail(Finding::kBarrier,
                 "__syncthreads reached by " + std::to_string(b.at_barrier) + " of " + std::to_string(n) +
                     " threads; the others have ended, so it can never complete",
                 &t, site);
  }
  detail::suspend(t);
}

void syncwarp(std::uint32_t mask, Site site) {
  detail::join_collective(detail::Collective::kSyncwarp, mask, 0, nullptr, site, [](PendingCollective& c) {
    detail::Launch& launch = *current_launch();
    Block& b = *launch.block;
    const int w = launch.thread->index / 32;
    const std::uint64_t n = ++b.warps[w].syncs;
    for (int l = 0; l < 32; ++l) {
      if (c.mask & (1u << l)) b.threads[32 * w + l].synced_at = n;
    }
  });
}

namespace {
struct ShufflePayload {
  std::uint32_t value;
  int lane_or_delta;
  int width;
  std::uint32_t result;
};
}  // namespace

std::uint32_t shfl(Shuffle mode, std::uint32_t mask, std::uint32_t value, int lane_or_delta, int width, Site site) {
  if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
    detail::fail(Finding::kWarpCollective, "a shuffle width of " + std::to_string(width) + " (a power of 2 up to 32)",
                 &current_thread("shfl.sync", site), site);
  }
  ShufflePayload mine{value, lane_or_delta, width, value};
  detail::join_collective(detail::Collective::kShuffle, mask, static_cast<int>(mode), &mine, site,
                          [](PendingCollective& c) {
                            const auto how = static_cast<Shuffle>(c.mode);
                            for (int l = 0; l < 32; ++l) {
                              if (!(c.mask & (1u << l))) continue;
                              auto* p = static_cast<ShufflePayload*>(c.payload[l]);
                              const int w = p->width, segment = l & ~(w - 1);
                              int source = l;
                              switch (how) {
                                case Shuffle::kIndex:
                                  source = segment + (p->lane_or_delta & (w - 1));
                                  break;
                                case Shuffle::kDown:
                                  source = (l - segment) + p->lane_or_delta < w ? l + p->lane_or_delta : l;
                                  break;
                                case Shuffle::kUp:
                                  source = (l - segment) - p->lane_or_delta >= 0 ? l - p->lane_or_delta : l;
                                  break;
                                case Shuffle::kXor:
                                  source = ((l ^ p->lane_or_delta) & ~(w - 1)) == segment ? l ^ p->lane_or_delta : l;
                                  break;
                              }
                              // A source outside the mask has no defined value: the emulator gives the lane's own.
                              if (!(c.mask & (1u << source))) source = l;
                              p->result = static_cast<ShufflePayload*>(c.payload[source])->value;
                            }
                          });
  return mine.result;
}

void threadfence() {}

void trap(Site site) {
  detail::fail(Finding::kTrap, "the kernel executed a trap (__trap)", &current_thread("__trap", site), site,
               cudaErrorLaunchFailure);
}

void nanosleep(unsigned /*ns*/) {
  Thread& t = current_thread("__nanosleep", Site::current());
  detail::wake(t);  // ready again at once, behind every other ready thread
  detail::suspend(t);
}

void unimplemented(const char* what, Site site) {
  detail::Launch* launch = current_launch();
  detail::fail(Finding::kUnimplemented, std::string(what) + " is not emulated",
               launch && launch->thread ? launch->thread : nullptr, site, cudaErrorNotSupported);
}

int lane_id() { return current_thread("the lane id", Site::current()).index % 32; }

unsigned char* dynamic_shared(std::size_t align) {
  current_thread("dynamic shared memory", Site::current());
  detail::Launch& launch = *current_launch();
  if (align > 1024) {
    detail::fail(Finding::kUnimplemented, "dynamic shared memory aligned to more than 1024 bytes", launch.thread,
                 Site::current());
  }
  return launch.shared.dynamic();
}

void* static_shared(const void* key, std::size_t bytes, std::size_t align) {
  Thread& t = current_thread("static shared memory", Site::current());
  void* p = current_launch()->shared.allocate_static(key, bytes, align);
  if (!p) {
    detail::fail(
        Finding::kLaunch,
        "static shared memory beyond the device's " + std::to_string(device().static_shared_capacity) + " bytes", &t,
        Site::current());
  }
  return p;
}

std::uint32_t shared_address(const void* p, Site site) {
  Thread& t = current_thread("__cvta_generic_to_shared", site);
  detail::SharedMemory& shared = current_launch()->shared;
  if (!shared.contains(p)) {
    detail::fail(Finding::kSharedBounds, "__cvta_generic_to_shared of a pointer outside the block's shared memory", &t,
                 site, cudaErrorIllegalAddress);
  }
  return static_cast<std::uint32_t>(static_cast<const unsigned char*>(p) - shared.base());
}

std::uint32_t smid() {
  current_thread("%smid", Site::current());
  return static_cast<std::uint32_t>(current_launch()->block->linear % std::max(device().sm_count, 1));
}

std::uint64_t clock64() { return ++current_thread("%clock64", Site::current()).clock; }

std::uint64_t globaltimer() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::uint64_t create_policy_evict_first() { return 0x1000000000000000ull; }

}  // namespace cuda_emu

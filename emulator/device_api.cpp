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

void syncthreads(Site site) { detail::barrier_arrive(site); }

void syncwarp(std::uint32_t mask, Site site) {
  static int arrived = 0;  // a payload for every lane: what tells an arrived lane from an ended one
  detail::join_collective(detail::Collective::kSyncwarp, mask, 0, &arrived, site, [](PendingCollective& c) {
    detail::Launch& launch = *current_launch();
    launch.block->warps[launch.thread->index / 32].syncs.push_back(c.arrived);
  });
}

namespace {
struct ShufflePayload {
  std::uint32_t value;
  int lane_or_delta;
  int width;
  std::uint32_t result;
  bool undefined_source;
};
}  // namespace

std::uint32_t shfl(Shuffle mode, std::uint32_t mask, std::uint32_t value, int lane_or_delta, int width, Site site) {
  if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
    detail::fail(Finding::kWarpCollective, "a shuffle width of " + std::to_string(width) + " (a power of 2 up to 32)",
                 &current_thread("shfl.sync", site), site);
  }
  ShufflePayload mine{value, lane_or_delta, width, value, false};
  detail::join_collective(detail::Collective::kShuffle, mask, static_cast<int>(mode), &mine, site,
                          [](PendingCollective& c) {
                            // PTX ISA, shfl.sync: b and c as __shfl_*_sync build them (c = ((32 - width) << 8) | 0x1f,
                            // without the 0x1f for up); maxLane bounds the lane's own segment from above, minLane from
                            // below, and an xor may reach an earlier segment.
                            const auto how = static_cast<Shuffle>(c.mode);
                            for (int l = 0; l < 32; ++l) {
                              auto* p = static_cast<ShufflePayload*>(c.payload[l]);
                              if (!p) continue;  // a lane of the mask that has ended
                              const int b = p->lane_or_delta & 31, segmask = 32 - p->width;
                              const int min_lane = l & segmask, max_lane = min_lane | (31 & ~segmask);
                              int j = l;
                              bool valid = true;
                              switch (how) {
                                case Shuffle::kIndex:
                                  j = min_lane | (b & ~segmask);
                                  valid = j <= max_lane;
                                  break;
                                case Shuffle::kDown:
                                  j = l + b;
                                  valid = j <= max_lane;
                                  break;
                                case Shuffle::kUp:
                                  j = l - b;
                                  valid = j >= min_lane;
                                  break;
                                case Shuffle::kXor:
                                  j = l ^ b;
                                  valid = j <= max_lane;
                                  break;
                              }
                              if (!valid) j = l;
                              const auto* source = static_cast<const ShufflePayload*>(c.payload[j]);
                              if (!source) {  // outside the mask, or ended: the hardware's value is undefined
                                p->undefined_source = true;
                                source = p;
                              }
                              p->result = source->value;
                            }
                          });
  if (mine.undefined_source) {
    Thread& t = current_thread("shfl.sync", site);
    if (detail::first_report(Finding::kWarpCollective, site.file, site.line)) {
      detail::report(Finding::kWarpCollective,
                     "a shuffle reads a lane outside its mask (or one that has ended): its value is undefined", &t,
                     site);
    }
  }
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
               launch && launch->thread ? launch->thread : nullptr, site, cudaErrorIllegalInstruction);
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

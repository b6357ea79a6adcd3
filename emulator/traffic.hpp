// Memory traffic of a launch, counted per warp-level request when Options::count_traffic is on: a request is the k-th
// execution of one access site by the lanes of one warp (as a GPU issues one instruction for the warp). Global
// requests are served in 32-byte sectors; shared ones in wavefronts, the passes a request needs when lanes touch
// different 4-byte words of one bank. Only the emulator's own files include this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "emulator/emulator.hpp"
#include "emulator/site.hpp"

namespace cuda_emu::detail {

struct Launch;

// What kind of access a site makes, so that a site with two (cp.async reads global and writes shared) counts both.
enum class AccessKind { kLoad, kStore, kCpAsyncRead, kCpAsyncWrite, kLdmatrix };

class LaunchTraffic {
 public:
  // One lane's access: `thread` is its index in the block, `address` a global address or a shared offset. `pc` is the
  // instruction address of a plain access (null for an emulated instruction, which `site` names).
  void count(AccessKind kind, bool shared, int thread, Site site, const void* pc, std::uintptr_t address,
             std::size_t bytes);
  // Folds the requests of the block that just ended into the launch's totals.
  void end_block();
  // The launch's totals, one per site, kind of access and memory, in the order the sites were first seen.
  std::vector<TrafficCount> totals(const std::string& kernel) const;
  TrafficFootprint footprint(const std::string& kernel) const;

 private:
  using SiteKey = std::tuple<const void*, int, int, bool>;  // pc or source file, line, kind, shared
  struct LaneAccess {
    int lane;
    std::uintptr_t address;
    std::size_t bytes;
  };
  std::map<int, std::map<SiteKey, std::uint32_t>> runs_;  // thread -> site -> times it ran there in this block
  std::map<std::tuple<SiteKey, int, std::uint32_t>, std::vector<LaneAccess>> open_;  // (site, warp, k-th run)
  std::map<SiteKey, std::size_t> index_;                                             // site -> position in totals_
  std::vector<TrafficCount> totals_;
  std::set<std::uintptr_t> sectors_read_, sectors_written_;  // every global sector the launch touched
};

// The 32-byte sectors [address, address + bytes) spans, added to `sectors`.
void add_sectors(std::uintptr_t address, std::size_t bytes, std::set<std::uintptr_t>& sectors);
// The wavefronts a shared request needs: lanes are served in phases of 128 bytes' worth (32 lanes of 4 bytes, 16 of 8,
// 8 of 16), and within a phase each bank serves one 4-byte word a pass (lanes reading the same word share it).
std::uint64_t shared_wavefronts(const std::vector<int>& lanes, const std::vector<std::uintptr_t>& addresses,
                                const std::vector<std::size_t>& bytes);

}  // namespace cuda_emu::detail

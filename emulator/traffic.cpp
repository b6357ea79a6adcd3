#include "emulator/traffic.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "emulator/runtime.hpp"

namespace cuda_emu::detail {
namespace {

const char* instruction_name(AccessKind kind) {
  switch (kind) {
    case AccessKind::kLoad:
      return "load";
    case AccessKind::kStore:
      return "store";
    case AccessKind::kCpAsyncRead:
    case AccessKind::kCpAsyncWrite:
      return "cp.async";
    case AccessKind::kLdmatrix:
      return "ldmatrix";
  }
  return "?";
}

bool writes(AccessKind kind) { return kind == AccessKind::kStore || kind == AccessKind::kCpAsyncWrite; }

}  // namespace

void add_sectors(std::uintptr_t address, std::size_t bytes, std::set<std::uintptr_t>& sectors) {
  if (bytes == 0) return;
  for (std::uintptr_t s = address / 32; s <= (address + bytes - 1) / 32; ++s) sectors.insert(s);
}

std::uint64_t shared_wavefronts(const std::vector<int>& lanes, const std::vector<std::uintptr_t>& addresses,
                                const std::vector<std::size_t>& bytes) {
  std::size_t widest = 4;
  for (std::size_t b : bytes) widest = std::max(widest, std::min<std::size_t>(b, 16));
  const int lanes_per_phase = static_cast<int>(128 / widest);
  std::map<int, std::map<int, std::set<std::uintptr_t>>> words;  // phase -> bank -> 4-byte words
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    if (bytes[i] == 0) continue;
    auto& banks = words[lanes[i] / lanes_per_phase];
    for (std::uintptr_t w = addresses[i] / 4; w <= (addresses[i] + bytes[i] - 1) / 4; ++w) {
      banks[static_cast<int>(w % 32)].insert(w);
    }
  }
  std::uint64_t wavefronts = 0;
  for (const auto& [phase, banks] : words) {
    std::size_t deepest = 1;
    for (const auto& [bank, distinct] : banks) deepest = std::max(deepest, distinct.size());
    wavefronts += deepest;
  }
  return wavefronts;
}

void LaunchTraffic::count(AccessKind kind, bool shared, int thread, Site site, const void* pc, std::uintptr_t address,
                          std::size_t bytes) {
  const SiteKey key{pc ? pc : static_cast<const void*>(site.file), pc ? 0 : site.line, static_cast<int>(kind), shared};
  if (index_.emplace(key, totals_.size()).second) {
    TrafficCount c;
    c.where = pc ? describe_pc(pc) : describe(site);
    c.instruction = instruction_name(kind);
    c.shared = shared;
    c.write = writes(kind);
    totals_.push_back(std::move(c));
  }
  const std::uint32_t run = runs_[thread][key]++;
  open_[{key, thread / 32, run}].push_back({thread % 32, address, bytes});
}

void LaunchTraffic::end_block() {
  for (const auto& [request, lanes] : open_) {
    TrafficCount& c = totals_[index_.at(std::get<0>(request))];
    std::vector<int> lane;
    std::vector<std::uintptr_t> address;
    std::vector<std::size_t> bytes;
    for (const LaneAccess& a : lanes) {
      if (a.bytes == 0) continue;  // a lane predicated off (a zero-size cp.async): it took its turn, moved nothing
      lane.push_back(a.lane);
      address.push_back(a.address);
      bytes.push_back(a.bytes);
      c.bytes += a.bytes;
    }
    if (lane.empty()) continue;  // every lane off: no request reaches memory
    c.requests += 1;
    c.lane_accesses += lane.size();
    if (c.shared) {
      c.wavefronts += shared_wavefronts(lane, address, bytes);
    } else {
      std::set<std::uintptr_t> sectors;
      for (const LaneAccess& a : lanes) add_sectors(a.address, a.bytes, sectors);
      c.sectors += sectors.size();
      (c.write ? sectors_written_ : sectors_read_).insert(sectors.begin(), sectors.end());
    }
  }
  open_.clear();
  runs_.clear();
}

TrafficFootprint LaunchTraffic::footprint(const std::string& kernel) const {
  return {kernel, sectors_read_.size(), sectors_written_.size()};
}

std::vector<TrafficCount> LaunchTraffic::totals(const std::string& kernel) const {
  std::vector<TrafficCount> out = totals_;
  for (TrafficCount& c : out) c.kernel = kernel;
  return out;
}

}  // namespace cuda_emu::detail

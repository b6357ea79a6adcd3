// A block's shared memory and its shadow state. The arena holds the static variables (allocated on first use, in
// order) and then the dynamic shared memory, exactly as large as the launch asked, so that an access past its end
// leaves the arena (AddressSanitizer reports it where it happens; the bounds checks here report it too). Bytes start
// as 0xFF (a NaN in fp32, fp16 and bf16), so a value read before it is written shows up in the results as well as in
// the findings.
//
// The shadow keeps, per byte: the last writer and the barrier epoch of its write, the reader(s) of the current epoch,
// and whether an asynchronous copy that has not been delivered covers it. Two accesses to a byte by different threads
// of one epoch, at least one a write, are a race unless the two threads are lanes of one warp that have both passed
// a __syncwarp since the write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "emulator/emulator.hpp"

namespace cuda_emu::detail {

// The lanes of each __syncwarp a warp has completed, in order: lanes of one warp are ordered by a __syncwarp that
// both took part in.
using SyncLog = std::vector<std::uint32_t>;

// Who accesses shared memory, and where in the source (a Site, or the instruction address of an instrumented plain
// access, symbolised only when a finding is reported).
struct Accessor {
  int thread = 0;  // index in the block
  int warp = 0;
  int lane = 0;
  const SyncLog* syncs = nullptr;  // its warp's
  std::uint32_t epoch = 1;         // the block's barrier epoch
  Site site;
  const void* pc = nullptr;
};

class SharedMemory {
 public:
  // A fresh arena for the next block: every byte poisoned, nothing allocated but the dynamic part. Without
  // `plain_accesses_seen` (the kernel's plain stores do not reach the emulator) reads of bytes never written are not
  // reported: they may have been written by a plain store.
  void reset(std::size_t static_capacity, std::size_t dynamic_bytes, std::size_t dynamic_align,
             bool plain_accesses_seen);

  unsigned char* base() const { return arena_.get(); }
  std::size_t size() const { return size_; }
  bool contains(const void* p) const {
    const auto* b = static_cast<const unsigned char*>(p);
    return b >= arena_.get() && b < arena_.get() + size_;
  }
  unsigned char* dynamic() { return arena_.get() + dynamic_offset_; }
  // nullptr if the static capacity is exceeded.
  void* allocate_static(const void* key, std::size_t bytes, std::size_t align);

  // The bytes at a shared-window address; a fatal finding if [address, address + bytes) is not inside one allocation.
  unsigned char* at(std::uint32_t address, std::size_t bytes, const Accessor& who, const char* what);
  // The same check, reported without throwing (for a plain access, seen from a hook that cannot unwind): false if
  // the access is out of bounds.
  bool check_bounds(std::uint32_t address, std::size_t bytes, const Accessor& who, const char* what);

  // Shadow updates and checks; each reports what it finds and returns.
  void read(std::uint32_t address, std::size_t bytes, const Accessor& who);
  void write(std::uint32_t address, std::size_t bytes, const Accessor& who);
  // An asynchronous copy into [address, address + bytes): a write that lands at some time before `deliver`.
  void async_issue(std::uint32_t address, std::size_t bytes, const Accessor& who);
  void async_deliver(std::uint32_t address, std::size_t bytes, const Accessor& who);
  // An atomic read-modify-write: the bytes count as written (atomics do not race with each other, and the emulator
  // does not model the orderings that plain accesses could take from them).
  void atomic(std::uint32_t address, std::size_t bytes, const Accessor& who);

 private:
  static constexpr std::uint16_t kManyReaders = 0xFFFF;
  static constexpr std::uint8_t kAllocated = 1, kPending = 2;
  struct Shadow {
    std::uint32_t write_epoch = 0;  // 0: never written
    std::uint32_t read_epoch = 0;
    std::uint32_t writer_syncs = 0;  // the writing warp's SyncLog size at the write
    std::uint16_t writer = 0;
    std::uint16_t reader = 0;
    std::uint32_t reader_syncs = 0;  // the reading warp's SyncLog size at the last read
    std::uint32_t reader_lanes = 0;  // the lanes of reader_warp that read it in read_epoch
    std::uint16_t writer_warp = 0;
    std::uint16_t reader_warp = 0;  // kManyReaders when threads of several warps read it
    std::uint8_t flags = 0;
    const void* writer_pc = nullptr;
    Site writer_site;
  };
  bool allocated(std::uint32_t address, std::size_t bytes) const;
  std::string bounds_message(std::uint32_t address, std::size_t bytes, const char* what) const;
  bool ordered_after_write(const Shadow& s, const Accessor& who) const;
  bool ordered_after_reads(const Shadow& s, const Accessor& who) const;
  // Whether a __syncwarp of `who`'s warp after the first `since` ones took in every lane of `lanes`.
  static bool synced_since(const Accessor& who, std::uint32_t since, std::uint32_t lanes);

  std::unique_ptr<unsigned char[]> arena_;
  std::vector<Shadow> shadow_;
  std::size_t size_ = 0, static_capacity_ = 0, static_used_ = 0, dynamic_offset_ = 0;
  bool plain_accesses_seen_ = true;
  std::map<const void*, std::size_t> statics_;  // key -> offset
};

}  // namespace cuda_emu::detail

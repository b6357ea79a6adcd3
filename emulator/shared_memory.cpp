#include "emulator/shared_memory.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "emulator/runtime.hpp"

namespace cuda_emu::detail {
namespace {

std::string where(const Accessor& who) { return who.pc ? describe_pc(who.pc) : describe(who.site); }
const void* place_key(const Accessor& who) { return who.pc ? who.pc : static_cast<const void*>(who.site.file); }
int place_line(const Accessor& who) { return who.pc ? 0 : who.site.line; }

std::string bytes_text(std::uint32_t address, std::size_t bytes) {
  return std::to_string(bytes) + " bytes at shared address " + std::to_string(address);
}

const Thread* thread_at(int index) {
  const Launch* launch = current_launch();
  return launch && launch->block ? &launch->block->threads[index] : nullptr;
}

}  // namespace

void SharedMemory::reset(std::size_t static_capacity, std::size_t dynamic_bytes, std::size_t dynamic_align,
                         bool plain_accesses_seen) {
  plain_accesses_seen_ = plain_accesses_seen;
  const std::size_t dynamic_offset = (static_capacity + dynamic_align - 1) / dynamic_align * dynamic_align;
  const std::size_t size = dynamic_offset + dynamic_bytes;
  if (size != size_ || static_capacity != static_capacity_ || !arena_) {
    // Exactly this large: under AddressSanitizer an access past the end is reported where it happens.
    arena_.reset(new unsigned char[size]);
    std::memset(arena_.get(), 0xFF, size);
    shadow_.assign(size, Shadow{});
    size_ = size;
    static_capacity_ = static_capacity;
    dynamic_offset_ = dynamic_offset;
    static_used_ = 0;
  }
  // Only what the last block could have touched: its static variables and the dynamic part (the rest of the static
  // capacity was never allocated, so it is still poisoned and unallocated).
  std::memset(arena_.get(), 0xFF, static_used_);
  std::fill(shadow_.begin(), shadow_.begin() + static_used_, Shadow{});
  std::memset(arena_.get() + dynamic_offset_, 0xFF, size_ - dynamic_offset_);
  std::fill(shadow_.begin() + dynamic_offset_, shadow_.end(), Shadow{});
  for (std::size_t i = dynamic_offset_; i < size_; ++i) shadow_[i].flags = kAllocated;
  static_used_ = 0;
  statics_.clear();
}

void* SharedMemory::allocate_static(const void* key, std::size_t bytes, std::size_t align) {
  if (auto it = statics_.find(key); it != statics_.end()) return arena_.get() + it->second;
  const std::size_t offset = (static_used_ + align - 1) / align * align;
  if (offset + bytes > static_capacity_) return nullptr;
  statics_[key] = offset;
  static_used_ = offset + bytes;
  for (std::size_t i = offset; i < offset + bytes; ++i) shadow_[i].flags = kAllocated;
  return arena_.get() + offset;
}

bool SharedMemory::allocated(std::uint32_t address, std::size_t bytes) const {
  if (address + bytes > size_) return false;
  for (std::size_t i = address; i < address + bytes; ++i) {
    if (!(shadow_[i].flags & kAllocated)) return false;
  }
  return true;
}

std::string SharedMemory::bounds_message(std::uint32_t address, std::size_t bytes, const char* what) const {
  return std::string(what) + " of " + bytes_text(address, bytes) + ", outside the block's shared memory (" +
         std::to_string(size_ - dynamic_offset_) + " bytes of dynamic shared memory at address " +
         std::to_string(dynamic_offset_) + ", " + std::to_string(static_used_) + " of static)";
}

unsigned char* SharedMemory::at(std::uint32_t address, std::size_t bytes, const Accessor& who, const char* what) {
  if (!allocated(address, bytes)) {
    fail(Finding::kSharedBounds, bounds_message(address, bytes, what), thread_at(who.thread), who.site,
         cudaErrorIllegalAddress);
  }
  return arena_.get() + address;
}

bool SharedMemory::check_bounds(std::uint32_t address, std::size_t bytes, const Accessor& who, const char* what) {
  if (allocated(address, bytes)) return true;
  if (first_report(Finding::kSharedBounds, place_key(who), place_line(who))) {
    report(Finding::kSharedBounds, bounds_message(address, bytes, what) + " at " + where(who), thread_at(who.thread),
           who.site);
  }
  abort_launch(cudaErrorIllegalAddress);
  return false;
}

bool SharedMemory::synced_since(const Accessor& who, std::uint32_t since, std::uint32_t lanes) {
  for (std::size_t i = since; i < who.syncs->size(); ++i) {
    if (((*who.syncs)[i] & lanes) == lanes) return true;
  }
  return false;
}

bool SharedMemory::ordered_after_write(const Shadow& s, const Accessor& who) const {
  if (s.write_epoch == 0 || s.write_epoch < who.epoch || s.writer == who.thread) return true;
  // Lanes of one warp: ordered by a __syncwarp since the write that both took part in.
  return s.writer_warp == who.warp && synced_since(who, s.writer_syncs, (1u << (s.writer % 32)) | (1u << who.lane));
}

bool SharedMemory::ordered_after_reads(const Shadow& s, const Accessor& who) const {
  if (s.read_epoch != who.epoch || s.reader == who.thread) return true;
  // Lanes of one warp: ordered by a __syncwarp since the last read that every reader and this lane took part in.
  return s.reader_warp == who.warp && synced_since(who, s.reader_syncs, s.reader_lanes | (1u << who.lane));
}

void SharedMemory::read(std::uint32_t address, std::size_t bytes, const Accessor& who) {
  if (!options().check_shared) return;
  for (std::size_t i = address; i < address + bytes && i < size_; ++i) {
    Shadow& s = shadow_[i];
    if (s.flags & kPending) {
      if (first_report(Finding::kPendingAccess, place_key(who), place_line(who))) {
        report(Finding::kPendingAccess,
               "a read of " + bytes_text(address, bytes) + " that the cp.async issued at " + describe(s.writer_site) +
                   " by thread " + std::to_string(s.writer) +
                   " has not delivered: a cp.async.wait_group (and, for another thread's copy, a barrier) is missing",
               thread_at(who.thread), who.site);
      }
      return;
    }
    if (s.write_epoch == 0 && plain_accesses_seen_) {
      if (first_report(Finding::kUnwrittenRead, place_key(who), place_line(who))) {
        report(Finding::kUnwrittenRead,
               "a read of " + bytes_text(address, bytes) + " at " + where(who) +
                   ", which no thread of the block has written (byte " + std::to_string(i) + ")",
               thread_at(who.thread), who.site);
      }
      return;
    }
    if (!ordered_after_write(s, who)) {
      if (first_report(Finding::kRace, place_key(who), place_line(who))) {
        report(Finding::kRace,
               "a read of " + bytes_text(address, bytes) + " at " + where(who) + " races with its write by thread " +
                   std::to_string(s.writer) + " at " +
                   (s.writer_pc ? describe_pc(s.writer_pc) : describe(s.writer_site)) + " with no barrier between them",
               thread_at(who.thread), who.site);
      }
      return;
    }
    if (s.read_epoch != who.epoch) {
      s.read_epoch = who.epoch;
      s.reader = static_cast<std::uint16_t>(who.thread);
      s.reader_warp = static_cast<std::uint16_t>(who.warp);
      s.reader_lanes = 0;
    } else {
      if (s.reader != who.thread) s.reader = kManyReaders;
      if (s.reader_warp != who.warp) s.reader_warp = kManyReaders;
    }
    s.reader_lanes |= 1u << who.lane;
    s.reader_syncs = static_cast<std::uint32_t>(who.syncs->size());
  }
}

void SharedMemory::write(std::uint32_t address, std::size_t bytes, const Accessor& who) {
  if (!options().check_shared) return;
  for (std::size_t i = address; i < address + bytes && i < size_; ++i) {
    Shadow& s = shadow_[i];
    const bool pending = s.flags & kPending;
    const bool write_race = !ordered_after_write(s, who);
    const bool read_race = !ordered_after_reads(s, who);
    if (pending || write_race || read_race) {
      const Finding f = pending ? Finding::kPendingAccess : Finding::kRace;
      if (first_report(f, place_key(who), place_line(who))) {
        std::string other = pending      ? "an undelivered cp.async issued at " + describe(s.writer_site)
                            : write_race ? "a write by thread " + std::to_string(s.writer) + " at " +
                                               (s.writer_pc ? describe_pc(s.writer_pc) : describe(s.writer_site))
                                         : (s.reader == kManyReaders ? std::string("reads by other threads")
                                                                     : "a read by thread " + std::to_string(s.reader));
        report(f,
               "a write of " + bytes_text(address, bytes) + " at " + where(who) + " races with " + other +
                   " with no barrier between them",
               thread_at(who.thread), who.site);
      }
      return;
    }
    s.write_epoch = who.epoch;
    s.writer = static_cast<std::uint16_t>(who.thread);
    s.writer_warp = static_cast<std::uint16_t>(who.warp);
    s.writer_syncs = static_cast<std::uint32_t>(who.syncs->size());
    s.writer_pc = who.pc;
    s.writer_site = who.site;
    s.read_epoch = 0;
  }
}

void SharedMemory::async_issue(std::uint32_t address, std::size_t bytes, const Accessor& who) {
  // The copy may land at any moment from now on: it conflicts with everything a write would conflict with.
  write(address, bytes, who);
  if (!options().check_shared) return;
  for (std::size_t i = address; i < address + bytes && i < size_; ++i) shadow_[i].flags |= kPending;
}

void SharedMemory::atomic(std::uint32_t address, std::size_t bytes, const Accessor& who) {
  if (!options().check_shared) return;
  for (std::size_t i = address; i < address + bytes && i < size_; ++i) {
    Shadow& s = shadow_[i];
    s.write_epoch = who.epoch;
    s.writer = static_cast<std::uint16_t>(who.thread);
    s.writer_warp = static_cast<std::uint16_t>(who.warp);
    s.writer_syncs = static_cast<std::uint32_t>(who.syncs->size());
    s.writer_pc = who.pc;
    s.writer_site = who.site;
    s.read_epoch = 0;
  }
}

void SharedMemory::async_deliver(std::uint32_t address, std::size_t bytes, const Accessor& who) {
  if (!options().check_shared) return;
  for (std::size_t i = address; i < address + bytes && i < size_; ++i) {
    Shadow& s = shadow_[i];
    s.flags &= static_cast<std::uint8_t>(~kPending);
    // Delivered now, by the issuing thread: other threads need a barrier after the wait before they read it.
    s.write_epoch = who.epoch;
    s.writer = static_cast<std::uint16_t>(who.thread);
    s.writer_warp = static_cast<std::uint16_t>(who.warp);
    s.writer_syncs = static_cast<std::uint32_t>(who.syncs->size());
    s.read_epoch = 0;
  }
}

}  // namespace cuda_emu::detail

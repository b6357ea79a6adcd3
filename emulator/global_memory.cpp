// Global memory: the registry of allocations the emulated instructions check their addresses against.
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "emulator/runtime.hpp"

namespace cuda_emu {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::uintptr_t, std::size_t> allocations;  // start -> bytes
};

Registry& registry() {
  static Registry r;
  return r;
}

// By address, not pointer: GCC 12 takes a pointer to fresh malloc'd memory passed as const void* for a read of it.
void add_allocation(std::uintptr_t address, std::size_t bytes) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.allocations[address] = bytes;
}

}  // namespace

void register_global(const void* p, std::size_t bytes) { add_allocation(reinterpret_cast<std::uintptr_t>(p), bytes); }

void unregister_global(const void* p) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.allocations.erase(reinterpret_cast<std::uintptr_t>(p));
}

void* malloc_global(std::size_t bytes) {
  // At least one byte, so that every allocation has an address of its own; exactly `bytes` usable; aligned to 256
  // bytes as cudaMalloc's are, so that a kernel's accesses fall into 32-byte sectors as they would on a GPU.
  void* p = nullptr;
  if (posix_memalign(&p, 256, bytes ? bytes : 1) != 0) return nullptr;
  add_allocation(reinterpret_cast<std::uintptr_t>(p), bytes);
  return p;
}

void free_global(void* p) {
  if (!p) return;
  unregister_global(p);
  std::free(p);
}

bool in_global_allocation(const void* p, std::size_t bytes) {
  auto& r = registry();
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.allocations.upper_bound(address);
  if (it == r.allocations.begin()) return false;
  --it;
  return address + bytes <= it->first + it->second;
}

}  // namespace cuda_emu

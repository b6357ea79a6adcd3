// Global memory: the registry of allocations the emulated instructions check their addresses against, and the
// symboliser that turns an instruction address of an instrumented access into a source line.
#include <dlfcn.h>

#include <cstdio>
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
  // At least one byte, so that every allocation has an address of its own; exactly `bytes` usable.
  void* const p = std::malloc(bytes ? bytes : 1);
  if (p == nullptr) return nullptr;
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

namespace detail {

std::string describe_pc(const void* pc) {
  static std::mutex mutex;
  static std::map<const void*, std::string> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(pc); it != cache.end()) return it->second;
  std::string text = "instruction address " + std::to_string(reinterpret_cast<std::uintptr_t>(pc));
  Dl_info info{};
  if (dladdr(pc, &info) && info.dli_fname) {
    // The return address is the instruction after the access: one byte back is inside it. addr2line -i lists the
    // inlined frames innermost first; the first two say where the access is and which function it was inlined into.
    const auto offset = reinterpret_cast<std::uintptr_t>(pc) - reinterpret_cast<std::uintptr_t>(info.dli_fbase) - 1;
    char command[1024];
    std::snprintf(command, sizeof command, "addr2line -i -e '%s' 0x%lx 2>/dev/null", info.dli_fname,
                  static_cast<unsigned long>(offset));
    if (FILE* pipe = popen(command, "r")) {
      std::string lines;
      char line[1024];
      int frames = 0;
      while (std::fgets(line, sizeof line, pipe) && frames < 2) {
        std::string s = line;
        if (!s.empty() && s.back() == '\n') s.pop_back();
        if (s.rfind("??", 0) == 0) continue;
        const std::size_t discriminator = s.find(" (discriminator");
        if (discriminator != std::string::npos) s.resize(discriminator);
        lines += frames == 0 ? source_path(s.c_str()) : " (inlined into " + source_path(s.c_str()) + ")";
        ++frames;
      }
      pclose(pipe);
      if (!lines.empty()) text = lines;
    }
  }
  cache[pc] = text;
  return text;
}

}  // namespace detail
}  // namespace cuda_emu

// Names for addresses, for findings: the kernel a function pointer points at, the source line of an instruction
// address. The dynamic symbol table knows only exported functions (kernels in an anonymous namespace are not), so
// both ask addr2line, which reads the line tables and full symbol table of the binary (built with -g).
#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emulator/runtime.hpp"

namespace cuda_emu::detail {
namespace {

// addr2line's output lines for `address` (-f: the function before each file:line; -i: the inlined frames too).
std::vector<std::string> addr2line(const void* address, const char* options) {
  std::vector<std::string> lines;
  Dl_info info{};
  if (!dladdr(address, &info) || !info.dli_fname) return lines;
  const auto offset = reinterpret_cast<std::uintptr_t>(address) - reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  char command[1024];
  std::snprintf(command, sizeof command, "addr2line %s -e '%s' 0x%lx 2>/dev/null", options, info.dli_fname,
                static_cast<unsigned long>(offset));
  if (FILE* pipe = popen(command, "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, pipe)) {
      std::string s = line;
      if (!s.empty() && s.back() == '\n') s.pop_back();
      lines.push_back(s);
    }
    pclose(pipe);
  }
  return lines;
}

}  // namespace

std::string function_name(const void* function) {
  static std::mutex mutex;
  static std::map<const void*, std::string> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(function); it != cache.end()) return it->second;
  std::string name;
  Dl_info info{};
  if (dladdr(function, &info) && info.dli_sname && info.dli_saddr == function) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    name = status == 0 && demangled ? demangled : info.dli_sname;
    std::free(demangled);
  } else if (const auto lines = addr2line(function, "-f -C"); !lines.empty() && lines[0] != "??") {
    name = lines[0];
  } else {
    name = "at " + std::to_string(reinterpret_cast<std::uintptr_t>(function));
  }
  cache[function] = name;
  return name;
}

std::string describe_pc(const void* pc) {
  static std::mutex mutex;
  static std::map<const void*, std::string> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(pc); it != cache.end()) return it->second;
  // The return address is the instruction after the access: one byte back is inside it. With -i the inlined frames
  // come innermost first; the first two say where the access is and which function it was inlined into.
  std::string text;
  int frames = 0;
  for (std::string s : addr2line(static_cast<const char*>(pc) - 1, "-i")) {
    if (s.rfind("??", 0) == 0) continue;
    if (const std::size_t d = s.find(" (discriminator"); d != std::string::npos) s.resize(d);
    text += frames == 0 ? source_path(s.c_str()) : " (inlined into " + source_path(s.c_str()) + ")";
    if (++frames == 2) break;
  }
  if (text.empty()) text = "instruction address " + std::to_string(reinterpret_cast<std::uintptr_t>(pc));
  cache[pc] = text;
  return text;
}

}  // namespace cuda_emu::detail

// A place in the emulated program's source, for diagnostics. Functions that take a Site as a defaulted last argument
// (`Site site = Site::current()`) receive the location of their caller: GCC and Clang evaluate __builtin_FILE and
// __builtin_LINE in a default argument at the call site.
#pragma once

namespace cuda_emu {

struct Site {
  const char* file = "?";
  int line = 0;

  static constexpr Site current(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    return {file, line};
  }
};

}  // namespace cuda_emu

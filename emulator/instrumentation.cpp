// Plain C++ loads and stores of emulated device code, seen through the compiler's ThreadSanitizer instrumentation:
// device code compiled with -fsanitize=thread (and linked without the ThreadSanitizer runtime) calls these hooks
// before each access, and the emulator checks the accesses that fall in the running block's shared memory against
// its shadow state. g++ emits a call for every access, 16-byte struct copies included (as __tsan_read_range); the
// hook ABI is ThreadSanitizer's internal one, stable for many years but not a promise.
//
// The emulator's own files are never instrumented; code that is not emulated device code never calls these.
#include <cstdint>

#include "emulator/runtime.hpp"

namespace cuda_emu::detail {
namespace {

inline void atomic_access(const volatile void* p, std::size_t bytes, const void* pc) {
  Launch* launch = current_launch();
  const void* address = const_cast<const void*>(p);
  if (!launch || !launch->thread) return;
  if (in_null_page(address)) null_page_access(address, bytes, "an atomic", pc);
  if (!launch->shared.contains(address)) return;
  const auto offset = static_cast<std::uint32_t>(static_cast<const unsigned char*>(address) - launch->shared.base());
  const Accessor who = accessor(*launch->thread, Site{}, pc);
  if (launch->shared.check_bounds(offset, bytes, who, "an atomic")) launch->shared.atomic(offset, bytes, who);
}

inline void plain_access(const void* p, std::size_t bytes, bool write, const void* pc) {
  Launch* launch = current_launch();
  if (!launch || !launch->thread) return;
  if (in_null_page(p)) null_page_access(p, bytes, write ? "a store" : "a load", pc);
  const Thread& t = *launch->thread;
  const AccessKind kind = write ? AccessKind::kStore : AccessKind::kLoad;
  if (!launch->shared.contains(p)) {
    // Global traffic: accesses inside an allocation (a thread's own stack and the kernel's parameters are not).
    if (launch->traffic && in_global_allocation(p, bytes)) {
      launch->traffic->count(kind, false, t.index, Site{}, pc, reinterpret_cast<std::uintptr_t>(p), bytes);
    }
    return;
  }
  const auto address = static_cast<std::uint32_t>(static_cast<const unsigned char*>(p) - launch->shared.base());
  if (launch->traffic) launch->traffic->count(kind, true, t.index, Site{}, pc, address, bytes);
  const Accessor who = accessor(t, Site{}, pc);
  // No exception may leave a hook (the instrumented code calls it as a function that never throws): an access out of
  // bounds is reported, and the launch ends at its next switch between threads.
  if (!launch->shared.check_bounds(address, bytes, who, write ? "a store" : "a load")) return;
  if (write) {
    launch->shared.write(address, bytes, who);
  } else {
    launch->shared.read(address, bytes, who);
  }
}

}  // namespace
}  // namespace cuda_emu::detail

#define CUDA_EMU_PC __builtin_return_address(0)
#define CUDA_EMU_ACCESS(name, bytes, write) \
  void name(void* p) { cuda_emu::detail::plain_access(p, bytes, write, CUDA_EMU_PC); }

extern "C" {

void __tsan_init() {}
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}
void __tsan_vptr_update(void**, void*) {}
void __tsan_vptr_read(void**) {}
void __tsan_read_range(void* p, unsigned long bytes) { cuda_emu::detail::plain_access(p, bytes, false, CUDA_EMU_PC); }
void __tsan_write_range(void* p, unsigned long bytes) { cuda_emu::detail::plain_access(p, bytes, true, CUDA_EMU_PC); }

CUDA_EMU_ACCESS(__tsan_read1, 1, false)
CUDA_EMU_ACCESS(__tsan_read2, 2, false)
CUDA_EMU_ACCESS(__tsan_read4, 4, false)
CUDA_EMU_ACCESS(__tsan_read8, 8, false)
CUDA_EMU_ACCESS(__tsan_read16, 16, false)
CUDA_EMU_ACCESS(__tsan_write1, 1, true)
CUDA_EMU_ACCESS(__tsan_write2, 2, true)
CUDA_EMU_ACCESS(__tsan_write4, 4, true)
CUDA_EMU_ACCESS(__tsan_write8, 8, true)
CUDA_EMU_ACCESS(__tsan_write16, 16, true)
CUDA_EMU_ACCESS(__tsan_unaligned_read2, 2, false)
CUDA_EMU_ACCESS(__tsan_unaligned_read4, 4, false)
CUDA_EMU_ACCESS(__tsan_unaligned_read8, 8, false)
CUDA_EMU_ACCESS(__tsan_unaligned_read16, 16, false)
CUDA_EMU_ACCESS(__tsan_unaligned_write2, 2, true)
CUDA_EMU_ACCESS(__tsan_unaligned_write4, 4, true)
CUDA_EMU_ACCESS(__tsan_unaligned_write8, 8, true)
CUDA_EMU_ACCESS(__tsan_unaligned_write16, 16, true)
CUDA_EMU_ACCESS(__tsan_volatile_read1, 1, false)
CUDA_EMU_ACCESS(__tsan_volatile_read2, 2, false)
CUDA_EMU_ACCESS(__tsan_volatile_read4, 4, false)
CUDA_EMU_ACCESS(__tsan_volatile_read8, 8, false)
CUDA_EMU_ACCESS(__tsan_volatile_read16, 16, false)
CUDA_EMU_ACCESS(__tsan_volatile_write1, 1, true)
CUDA_EMU_ACCESS(__tsan_volatile_write2, 2, true)
CUDA_EMU_ACCESS(__tsan_volatile_write4, 4, true)
CUDA_EMU_ACCESS(__tsan_volatile_write8, 8, true)
CUDA_EMU_ACCESS(__tsan_volatile_write16, 16, true)

// Atomics: performed as asked (sequentially consistent whatever the order asked: one CUDA thread runs at a time);
// one on shared memory counts as a write of it.
#define CUDA_EMU_AT(a) cuda_emu::detail::atomic_access(a, sizeof(*a), CUDA_EMU_PC)
#define CUDA_EMU_ATOMICS(bits, type)                                                               \
  type __tsan_atomic##bits##_load(const volatile type* a, int) {                                   \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                   \
  }                                                                                                \
  void __tsan_atomic##bits##_store(volatile type* a, type v, int) {                                \
    CUDA_EMU_AT(a);                                                                                \
    __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                      \
  }                                                                                                \
  type __tsan_atomic##bits##_exchange(volatile type* a, type v, int) {                             \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                            \
  }                                                                                                \
  type __tsan_atomic##bits##_fetch_add(volatile type* a, type v, int) {                            \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                                             \
  }                                                                                                \
  type __tsan_atomic##bits##_fetch_sub(volatile type* a, type v, int) {                            \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                                             \
  }                                                                                                \
  type __tsan_atomic##bits##_fetch_and(volatile type* a, type v, int) {                            \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);                                             \
  }                                                                                                \
  type __tsan_atomic##bits##_fetch_or(volatile type* a, type v, int) {                             \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);                                              \
  }                                                                                                \
  type __tsan_atomic##bits##_fetch_xor(volatile type* a, type v, int) {                            \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);                                             \
  }                                                                                                \
  type __tsan_atomic##bits##_fetch_nand(volatile type* a, type v, int) {                           \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);                                            \
  }                                                                                                \
  int __tsan_atomic##bits##_compare_exchange_strong(volatile type* a, type* c, type v, int, int) { \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);        \
  }                                                                                                \
  int __tsan_atomic##bits##_compare_exchange_weak(volatile type* a, type* c, type v, int, int) {   \
    CUDA_EMU_AT(a);                                                                                \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);        \
  }                                                                                                \
  type __tsan_atomic##bits##_compare_exchange_val(volatile type* a, type c, type v, int, int) {    \
    CUDA_EMU_AT(a);                                                                                \
    __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);              \
    return c;                                                                                      \
  }

CUDA_EMU_ATOMICS(8, unsigned char)
CUDA_EMU_ATOMICS(16, unsigned short)
CUDA_EMU_ATOMICS(32, unsigned int)
CUDA_EMU_ATOMICS(64, unsigned long long)

void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void __tsan_atomic_signal_fence(int) {}

}  // extern "C"

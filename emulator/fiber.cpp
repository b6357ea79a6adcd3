#include "emulator/fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define CUDA_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CUDA_EMU_ASAN 1
#endif
#endif
#ifdef CUDA_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace cuda_emu::detail {
namespace {

// AddressSanitizer keeps a fake stack per real stack and checks accesses against the running stack's bounds: each
// switch is announced before it (start) and confirmed after it (finish), as its common_interface_defs.h asks.
void start_switch(void** fake_stack_save, const void* bottom, std::size_t size) {
#ifdef CUDA_EMU_ASAN
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}
void finish_switch(void* fake_stack_save, const void** bottom_old, std::size_t* size_old) {
#ifdef CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
#else
  (void)fake_stack_save, (void)bottom_old, (void)size_old;
#endif
}

// Hands Boost.Context a stack from the pool, and takes it back when the fiber ends.
struct PoolAllocator {
  StackPool* pool;
  boost::context::stack_context* taken;
  boost::context::stack_context allocate() { return *taken = pool->take(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool->give_back(stack); }
};

}  // namespace

StackPool::StackPool(std::size_t stack_bytes) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  stack_bytes_ = (stack_bytes + page - 1) / page * page;
}

StackPool::~StackPool() {
  for (const auto& [base, bytes] : mappings_) munmap(base, bytes);
}

boost::context::stack_context StackPool::take() {
  if (!free_.empty()) {
    const auto stack = free_.back();
    free_.pop_back();
    return stack;
  }
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t bytes = stack_bytes_ + page;
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  mprotect(base, page, PROT_NONE);  // the guard page: an overflowing stack faults here
  mappings_.emplace_back(base, bytes);
  boost::context::stack_context stack;
  stack.size = stack_bytes_;
  stack.sp = static_cast<char*>(base) + bytes;  // stacks grow down from sp
  return stack;
}

void StackPool::give_back(const boost::context::stack_context& stack) { free_.push_back(stack); }

Fiber::Fiber(StackPool& pool, std::function<void()> body) : pool_(pool), body_(std::move(body)) {
  self_ = boost::context::fiber(std::allocator_arg, PoolAllocator{&pool_, &stack_},
                                [this](boost::context::fiber&& scheduler) {
                                  scheduler_ = std::move(scheduler);
                                  finish_switch(nullptr, &scheduler_stack_bottom_, &scheduler_stack_size_);
                                  started_ = true;
                                  try {
                                    if (!cancelled_) body_();
                                  } catch (const FiberCancelled&) {
                                  }
                                  finished_ = true;
                                  start_switch(nullptr, scheduler_stack_bottom_, scheduler_stack_size_);
                                  return std::move(scheduler_);
                                });
}

Fiber::~Fiber() {
  if (!finished_ && !abandoned_) cancel();
}

void Fiber::resume() {
  void* fake_stack = nullptr;
  start_switch(&fake_stack, static_cast<char*>(stack_.sp) - stack_.size, stack_.size);
  self_ = std::move(self_).resume();
  finish_switch(fake_stack, nullptr, nullptr);
}

void Fiber::suspend() {
  void* fake_stack = nullptr;
  start_switch(&fake_stack, scheduler_stack_bottom_, scheduler_stack_size_);
  scheduler_ = std::move(scheduler_).resume();
  finish_switch(fake_stack, &scheduler_stack_bottom_, &scheduler_stack_size_);
  if (cancelled_) throw FiberCancelled{};
}

void Fiber::abandon() {
  // Destroying a suspended boost::context::fiber unwinds it, which would throw through the hook: it is kept instead,
  // reachable, so that a leak checker does not report it.
  static std::mutex mutex;  // streams of several devices may fault at once
  static auto* kept = new std::vector<boost::context::fiber>();
  std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(std::move(self_));
  abandoned_ = true;
}

void Fiber::cancel() {
  cancelled_ = true;
  if (!finished_) resume();  // a fiber not yet started ends at once; a suspended one unwinds from suspend()
}

}  // namespace cuda_emu::detail

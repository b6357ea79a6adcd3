// A CUDA thread's own stack and context: Boost.Context fibers (a switch costs tens of nanoseconds, where glibc's
// swapcontext makes a system call), with AddressSanitizer told of every switch so that it checks each fiber against
// its own stack. Stacks come from a pool and are reused from block to block; each has a guard page below it, so a
// stack overflow faults instead of writing into another thread's stack.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace cuda_emu::detail {

class StackPool {
 public:
  explicit StackPool(std::size_t stack_bytes);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context take();
  void give_back(const boost::context::stack_context& stack);
  std::size_t stack_bytes() const { return stack_bytes_; }

 private:
  std::size_t stack_bytes_;
  std::vector<boost::context::stack_context> free_;
  std::vector<std::pair<void*, std::size_t>> mappings_;
};

// Thrown inside a suspended fiber that is being cancelled (its launch has failed), so that its stack unwinds the
// ordinary way before the fiber ends.
struct FiberCancelled {};

class Fiber {
 public:
  // `body` runs on the fiber's stack at the first resume().
  Fiber(StackPool& pool, std::function<void()> body);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // From the scheduler: runs the fiber until it suspends or ends.
  void resume();
  // From inside the fiber: back to the scheduler. Throws FiberCancelled if the fiber was cancelled meanwhile.
  void suspend();
  // From the scheduler, for a suspended fiber: resumes it once more to unwind its stack.
  void cancel();
  // From the scheduler, for a fiber suspended where no exception may pass (a compiler's instrumentation hook): never
  // resumes it, and never gives its stack back to the pool (one stack per fault, unmapped with the pool when its
  // thread ends).
  void abandon();
  bool finished() const { return finished_; }
  bool started() const { return started_; }

 private:
  StackPool& pool_;
  std::function<void()> body_;
  boost::context::fiber self_;       // the fiber, while it is suspended
  boost::context::fiber scheduler_;  // the scheduler, while the fiber runs
  boost::context::stack_context stack_{};
  const void* scheduler_stack_bottom_ = nullptr;
  std::size_t scheduler_stack_size_ = 0;
  bool started_ = false, finished_ = false, cancelled_ = false, abandoned_ = false;
};

}  // namespace cuda_emu::detail

// The emulator's inside: one launch, its blocks, their threads and warps, and the scheduler that runs them. Only the
// emulator's own files include this.
//
// A launch runs its blocks one after another, in an order drawn from the options' seed. A block's threads are fibers;
// a thread runs until it reaches a barrier, a warp collective or a wait, or ends, and the scheduler then resumes the
// next ready thread. A barrier completes when every thread of the block has reached it (an ended thread never does,
// so a barrier some threads skip is a finding, not a hang), a warp collective when every lane it names has reached it;
// the thread that completes a collective computes it for all of its lanes. When no thread is ready and some have not
// ended, the block is deadlocked, and the finding says where each thread waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "emulator/device_api.hpp"
#include "emulator/emulator.hpp"
#include "emulator/fiber.hpp"
#include "emulator/shared_memory.hpp"
#include "emulator/traffic.hpp"

namespace cuda_emu::detail {

// Thrown inside a fiber by a fatal finding: unwinds the thread that found it; the scheduler then ends the launch.
struct LaunchAborted {};

enum class ThreadState { kReady, kRunning, kBarrier, kWarp, kExited };

struct AsyncCopy {
  std::uint32_t dst;
  int bytes;
  unsigned char data[16];  // read at issue (the source is not written while a kernel reads it)
  Site site;
};

struct Thread {
  int index = 0;  // linear index in the block
  uint3 idx{};
  std::unique_ptr<Fiber> fiber;
  ThreadState state = ThreadState::kReady;
  Site wait_site;  // where it waits, when it does
  const char* wait_what = "";
  std::vector<AsyncCopy> open_copies;              // cp.async issued since the last commit
  std::deque<std::vector<AsyncCopy>> copy_groups;  // committed, oldest first
  std::uint64_t clock = 0;
  bool abandoned = false;  // stopped for good inside an instrumentation hook (null_page_access)
};

enum class Collective { kMma, kLdmatrix, kShuffle, kSyncwarp };
const char* collective_name(Collective c);

// A warp collective some lanes have reached and others not yet.
struct PendingCollective {
  Collective kind;
  std::uint32_t mask = 0, arrived = 0;
  int mode = 0;  // what must agree between the lanes beside the kind and mask (a shuffle's mode, an mma's type)
  Site site;
  void* payload[32] = {};  // nullptr for a lane of the mask that ended instead of arriving
  void (*complete)(PendingCollective&) = nullptr;
};

struct Warp {
  std::vector<PendingCollective> pending;
  SyncLog syncs;             // the lanes of every __syncwarp completed, in order
  std::uint32_t exited = 0;  // lanes that have ended
};

struct Block {
  uint3 idx{};
  std::int64_t linear = 0;
  std::vector<Thread> threads;
  std::vector<Warp> warps;
  std::uint32_t epoch = 1;  // barriers completed + 1
  int at_barrier = 0, exited = 0;
  Site barrier_site;
  bool barrier_sites_differ = false;
  std::deque<int> ready;
  bool aborted = false;
};

struct Launch {
  const void* kernel = nullptr;
  std::string kernel_name;
  LaunchConfig config;
  std::uint64_t number = 0;  // launches since reset(): with the seed, it reproduces the schedule
  std::mt19937_64 rng;
  Block* block = nullptr;
  Thread* thread = nullptr;  // the running thread, nullptr between threads
  SharedMemory shared;
  std::uint64_t steps = 0;
  std::chrono::steady_clock::time_point start;
  cudaError_t error = cudaSuccess;  // the first fatal finding's error
  int findings = 0;
  int threads_per_block = 0;
  const KernelBody* body = nullptr;
  bool abort_requested = false;
  std::map<std::tuple<int, const void*, int>, int> reported;  // (finding, file or pc, line) -> times seen
  std::unique_ptr<LaunchTraffic> traffic;                     // with Options::count_traffic
};

// The launch running on this OS thread, or nullptr outside a launch.
Launch* current_launch();
// The running CUDA thread; a finding if called outside a launch (device code called from host code).
Thread& current_thread(const char* what, Site site);
Accessor accessor(const Thread& t, Site site, const void* pc = nullptr);

// Records a finding about the running launch, naming the kernel, block and `thread` (nullptr: the block) and site.
void report(Finding finding, const std::string& message, const Thread* thread, Site site);
// Whether a finding at this place is seen for the first time in the running launch (a race repeats for every byte
// and every block; the first report says it all, and the count of the others is given at the end of the launch).
bool first_report(Finding finding, const void* file_or_pc, int line);
// Ends the launch at its next switch between threads, with `error` (for a finding made where no exception may pass,
// such as a compiler's instrumentation hook).
void abort_launch(cudaError_t error);
// Addresses below 64 KiB, which Linux never maps (vm.mmap_min_addr): an access there is a null pointer's, and would
// fault the whole process rather than the launch.
inline bool in_null_page(const void* p) { return reinterpret_cast<std::uintptr_t>(p) < (std::uintptr_t{1} << 16); }
// A plain access of the running thread to the null page, seen from an instrumentation hook before it happens: reported
// as an illegal address (on a GPU it ends the context), and the thread is never resumed, so the access never happens.
void null_page_access(const void* p, std::size_t bytes, const char* what, const void* pc);
// report(), then ends the launch: throws LaunchAborted inside a fiber.
[[noreturn]] void fail(Finding finding, const std::string& message, const Thread* thread, Site site,
                       cudaError_t error = cudaErrorLaunchFailure);
// "block (x,y,z) thread (x,y,z) (warp w lane l)"
std::string describe(const Block& block, const Thread& thread);
std::string describe(Site site);
// A source path relative to the source tree the emulator was built in, when it lies inside it.
std::string source_path(const char* path);
std::string describe_pc(const void* pc);          // file:line of an instruction address, if the binary has line tables
std::string function_name(const void* function);  // the demangled name of the function at `function`

// Suspends the running thread until the scheduler resumes it (it must have set its state to a waiting one).
void suspend(Thread& t);
// Makes a waiting thread ready again.
void wake(Thread& t);

// __syncthreads for the running thread: returns when every thread of the block has arrived or ended. Ended threads
// count as arrived, as on sm_70 and newer, but are reported: the barrier orders nothing for them.
void barrier_arrive(Site site);

// Joins the running lane to a warp collective over `mask`; returns once every lane of the mask has joined (or, for
// a shuffle or __syncwarp, ended: reported, as for a barrier) and `complete` has run, on the last lane to join, with
// every lane's payload. mma and ldmatrix (.aligned) need every lane of a full warp.
void join_collective(Collective kind, std::uint32_t mask, int mode, void* payload, Site site,
                     void (*complete)(PendingCollective&));

// The lanes of `block`'s warp `w` that exist (a block whose size is not a multiple of 32 has a partial last warp).
std::uint32_t lanes_of(const Block& block, int w);

// The body of every CUDA thread: the kernel, then the thread's end.
void run_thread(Launch& launch, Thread& t);

// Delivers every copy of a thread's committed groups but its `keep` newest (cp.async.wait_group).
void deliver_copies(Thread& t, std::size_t keep);

}  // namespace cuda_emu::detail

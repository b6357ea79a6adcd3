// The scheduler: launches, blocks, threads as fibers, barriers, warp collectives, findings and limits.
#include "emulator/runtime.hpp"

#include <vector_types.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "emulator/streams.hpp"

// The built-in index variables device code reads (declared by CUDA's device_launch_parameters.h under the shim).
thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;
thread_local int warpSize = 32;

namespace cuda_emu {
namespace detail {
namespace {

struct State {
  std::mutex mutex;  // guards what launches on several OS threads share: diagnostics, attributes, the launch count
  DeviceModel device = DeviceModel::from_environment();
  Options options;
  std::vector<Diagnostic> diagnostics;
  int printed = 0;
  std::unordered_map<const void*, std::size_t> max_dynamic_shared;
  std::uint64_t launches = 0;
  std::vector<TrafficCount> traffic;
  std::vector<TrafficFootprint> footprints;
};

State& state() {
  static State s;
  return s;
}

thread_local Launch* tls_launch = nullptr;

// Stacks for the fibers of one OS thread, kept across launches.
StackPool& stacks() {
#if defined(__SANITIZE_ADDRESS__)
  constexpr std::size_t kStack = 512 * 1024;  // AddressSanitizer's frames are larger
#else
  constexpr std::size_t kStack = 256 * 1024;
#endif
  thread_local StackPool pool(kStack);
  return pool;
}

// ---- watchdog: a thread that loops without ever yielding cannot be stopped from the inside -----------------------

class Watchdog {
 public:
  static Watchdog& get() {
    static Watchdog* w = new Watchdog();  // never destroyed: its thread outlives static destruction
    return *w;
  }
  void watch(const Launch* launch, const std::atomic<std::uint64_t>* steps) {
    std::lock_guard<std::mutex> lock(mutex_);
    watched_[launch] = {steps, steps->load(), std::chrono::steady_clock::now()};
  }
  void unwatch(const Launch* launch) {
    std::lock_guard<std::mutex> lock(mutex_);
    watched_.erase(launch);
  }

 private:
  struct Watched {
    const std::atomic<std::uint64_t>* steps;
    std::uint64_t last_steps;
    std::chrono::steady_clock::time_point last_change;
  };
  Watchdog() {
    std::thread([this] { loop(); }).detach();
  }
  [[noreturn]] void loop() {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      for (auto& [launch, w] : watched_) {
        if (const std::uint64_t s = w.steps->load(); s != w.last_steps) {
          w.last_steps = s;
          w.last_change = now;
          continue;
        }
        const double idle = std::chrono::duration<double>(now - w.last_change).count();
        if (idle > state().options.time_limit_s) {
          std::fprintf(stderr,
                       "cuda_emu: kernel %s: a thread has run for %.0f s without reaching a barrier, a warp "
                       "collective, a wait or its end (an endless loop?); stopping the process\n",
                       launch->kernel_name.c_str(), idle);
          std::fflush(stderr);
          std::_Exit(124);
        }
      }
    }
  }
  std::mutex mutex_;
  std::map<const Launch*, Watched> watched_;
};

std::string dims(const uint3& v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

void set_builtins(const Launch& launch, const Block& block, const Thread& thread) {
  threadIdx = thread.idx;
  blockIdx = block.idx;
  blockDim = launch.config.block;
  gridDim = launch.config.grid;
}

// Every thread of `block` that is not ready, exited or running, grouped by where it waits: "threads 0-31 at
// kernels/x.cu:12 (__syncthreads)".
std::string where_threads_wait(const Block& block) {
  std::map<std::string, std::vector<int>> groups;
  for (const Thread& t : block.threads) {
    std::string where;
    switch (t.state) {
      case ThreadState::kExited:
        where = "ended";
        break;
      case ThreadState::kBarrier:
      case ThreadState::kWarp:
        where = std::string(t.wait_what) + " at " + describe(t.wait_site);
        break;
      default:
        where = "running";
    }
    groups[where].push_back(t.index);
  }
  std::string out;
  for (const auto& [where, threads] : groups) {
    out += "\n    threads ";
    for (std::size_t i = 0; i < threads.size();) {
      std::size_t j = i;
      while (j + 1 < threads.size() && threads[j + 1] == threads[j] + 1) ++j;
      out += (i ? "," : "") + std::to_string(threads[i]) + (j > i ? "-" + std::to_string(threads[j]) : "");
      i = j + 1;
    }
    out += ": " + where;
  }
  return out;
}

void run_block(Launch& launch, Block& block) {
  const LaunchConfig& cfg = launch.config;
  const int n = launch.threads_per_block;
  block.threads.resize(n);
  block.warps.assign((n + 31) / 32, Warp{});
  launch.block = &block;
  for (int i = 0; i < n; ++i) {
    Thread& t = block.threads[i];
    t.index = i;
    t.idx = {static_cast<unsigned>(i % cfg.block.x), static_cast<unsigned>((i / cfg.block.x) % cfg.block.y),
             static_cast<unsigned>(i / (cfg.block.x * cfg.block.y))};
    t.fiber = std::make_unique<Fiber>(stacks(), [&launch, &t] {
      try {
        run_thread(launch, t);
      } catch (const LaunchAborted&) {
        launch.block->aborted = true;
      }
    });
    block.ready.push_back(i);
  }
  if (state().options.shuffle_threads) std::shuffle(block.ready.begin(), block.ready.end(), launch.rng);

  std::atomic<std::uint64_t> steps{0};
  Watchdog::get().watch(&launch, &steps);
  while (!block.ready.empty() && !block.aborted) {
    const int index = block.ready.front();
    block.ready.pop_front();
    Thread& t = block.threads[index];
    if (t.state != ThreadState::kReady) continue;
    t.state = ThreadState::kRunning;
    launch.thread = &t;
    set_builtins(launch, block, t);
    t.fiber->resume();
    launch.thread = nullptr;
    steps.store(++launch.steps, std::memory_order_relaxed);
    if (launch.abort_requested) {
      block.aborted = true;
    } else if (launch.steps > state().options.step_limit) {
      report(Finding::kLimit,
             "the launch passed the step limit (" + std::to_string(state().options.step_limit) +
                 " thread switches): a kernel that never ends?" + where_threads_wait(block),
             nullptr, cfg.site);
      launch.error = cudaErrorLaunchTimeout;
      block.aborted = true;
    } else if ((launch.steps & 0xFFF) == 0 &&
               std::chrono::duration<double>(std::chrono::steady_clock::now() - launch.start).count() >
                   state().options.time_limit_s) {
      report(Finding::kLimit, "the launch passed the time limit: a kernel that never ends?" + where_threads_wait(block),
             nullptr, cfg.site);
      launch.error = cudaErrorLaunchTimeout;
      block.aborted = true;
    }
  }
  Watchdog::get().unwatch(&launch);

  if (!block.aborted && block.exited != n) {
    std::string pending;
    for (std::size_t w = 0; w < block.warps.size(); ++w) {
      for (const PendingCollective& c : block.warps[w].pending) {
        std::uint32_t missing = c.mask & ~c.arrived;
        pending += "\n    warp " + std::to_string(w) + ": " + collective_name(c.kind) + " at " + describe(c.site) +
                   " waits for lanes";
        for (int l = 0; l < 32; ++l) {
          if (missing & (1u << l)) pending += " " + std::to_string(l);
        }
      }
    }
    report(Finding::kDeadlock,
           "deadlock: no thread can run and " + std::to_string(n - block.exited) +
               " have not ended:" + where_threads_wait(block) + pending,
           nullptr, cfg.site);
    launch.error = cudaErrorLaunchTimeout;
    block.aborted = true;
  }
  // A failed block: unwind every thread that has not ended, on its own stack.
  for (Thread& t : block.threads) {
    if (t.fiber && !t.fiber->finished()) {
      launch.thread = &t;
      if (t.abandoned) {
        t.fiber->abandon();
      } else {
        t.fiber->cancel();
      }
    }
    t.fiber.reset();
  }
  launch.thread = nullptr;
  launch.block = nullptr;
}

}  // namespace

Launch* current_launch() { return tls_launch; }

Thread& current_thread(const char* what, Site site) {
  Launch* launch = tls_launch;
  if (!launch || !launch->thread) {
    std::fprintf(stderr, "cuda_emu: %s at %s:%d called outside an emulated kernel\n", what, site.file, site.line);
    std::abort();
  }
  return *launch->thread;
}

Accessor accessor(const Thread& t, Site site, const void* pc) {
  const Launch& launch = *tls_launch;
  const Block& b = *launch.block;
  Accessor a;
  a.thread = t.index;
  a.warp = t.index / 32;
  a.lane = t.index % 32;
  a.syncs = &b.warps[a.warp].syncs;
  a.epoch = b.epoch;
  a.site = site;
  a.pc = pc;
  return a;
}

std::string source_path(const char* path) {
  static const std::string root = [] {
    std::string self = __FILE__;  // <root>/emulator/runtime.cpp
    for (int i = 0; i < 2 && self.find('/') != std::string::npos; ++i) self.resize(self.rfind('/'));
    return self + "/";
  }();
  std::string p = path;
  return p.rfind(root, 0) == 0 ? p.substr(root.size()) : p;
}

std::string describe(Site site) { return source_path(site.file) + ":" + std::to_string(site.line); }

std::string describe(const Block& block, const Thread& thread) {
  return "block " + dims(block.idx) + " thread " + dims(thread.idx) + " (warp " + std::to_string(thread.index / 32) +
         " lane " + std::to_string(thread.index % 32) + ")";
}

bool first_report(Finding finding, const void* file_or_pc, int line) {
  Launch* launch = tls_launch;
  if (!launch) return true;
  return launch->reported[{static_cast<int>(finding), file_or_pc, line}]++ == 0;
}

void report(Finding finding, const std::string& message, const Thread* thread, Site site) {
  Launch* launch = tls_launch;
  if (launch) ++launch->findings;
  std::string text = "cuda_emu: ";
  text += finding_name(finding);
  if (launch) {
    text += " in kernel " + launch->kernel_name + " (launch " + std::to_string(launch->number) + ", seed " +
            std::to_string(state().options.seed) + ")";
    if (launch->block)
      text += ", " + (thread ? describe(*launch->block, *thread) : "block " + dims(launch->block->idx));
  }
  if (site.line > 0) text += ", at " + describe(site);
  text += ": " + message;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.printed < s.options.print_limit) {
    std::fprintf(stderr, "%s\n", text.c_str());
    ++s.printed;
  }
  s.diagnostics.push_back({finding, std::move(text)});
}

void fail(Finding finding, const std::string& message, const Thread* thread, Site site, cudaError_t error) {
  report(finding, message, thread, site);
  Launch* launch = tls_launch;
  if (launch && launch->error == cudaSuccess) launch->error = error;
  if (launch && launch->thread) throw LaunchAborted{};
  std::fflush(stderr);
  std::abort();  // a fatal finding outside a fiber cannot unwind a kernel: there is none
}

void null_page_access(const void* p, std::size_t bytes, const char* what, const void* pc) {
  Launch* launch = tls_launch;
  Thread& t = *launch->thread;
  if (first_report(Finding::kGlobalBounds, pc, 0)) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", p);
    report(Finding::kGlobalBounds,
           std::string(what) + " of " + std::to_string(bytes) + " bytes at " + address +
               ", in the null page, where no allocation is: an illegal address, at " + describe_pc(pc),
           &t, Site{});
  }
  abort_launch(cudaErrorIllegalAddress);
  t.abandoned = true;
  suspend(t);  // never resumed: the scheduler sees the abort, and the block's teardown abandons this fiber
}

void abort_launch(cudaError_t error) {
  Launch* launch = tls_launch;
  if (!launch) return;
  if (launch->error == cudaSuccess) launch->error = error;
  launch->abort_requested = true;
}

void suspend(Thread& t) {
  tls_launch->thread = nullptr;
  t.fiber->suspend();
}

void wake(Thread& t) {
  t.state = ThreadState::kReady;
  tls_launch->block->ready.push_back(t.index);
}

std::uint32_t lanes_of(const Block& block, int w) {
  const int n = static_cast<int>(block.threads.size()) - 32 * w;
  return n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1;
}

const char* collective_name(Collective c) {
  switch (c) {
    case Collective::kMma:
      return "mma.sync";
    case Collective::kLdmatrix:
      return "ldmatrix";
    case Collective::kShuffle:
      return "shfl.sync";
    case Collective::kSyncwarp:
      return "__syncwarp";
  }
  return "?";
}

namespace {

bool aligned_collective(Collective kind) { return kind == Collective::kMma || kind == Collective::kLdmatrix; }

std::string lane_list(std::uint32_t lanes) {
  std::string out;
  for (int l = 0; l < 32; ++l) {
    if (lanes & (1u << l)) out += (out.empty() ? "" : " ") + std::to_string(l);
  }
  return out;
}

// Completes a pending collective whose every lane has arrived or ended: runs it, wakes the lanes that wait.
void finish_collective(Block& b, int w, std::vector<PendingCollective>::iterator it, const Thread& current) {
  Warp& warp = b.warps[w];
  PendingCollective done = *it;
  warp.pending.erase(it);
  const std::uint32_t ended = done.mask & ~done.arrived;
  if (ended && first_report(Finding::kWarpCollective, done.site.file, done.site.line)) {
    report(Finding::kWarpCollective,
           std::string(collective_name(done.kind)) + " names lanes that have ended (" + lane_list(ended) +
               "): legal for the lanes that remain, but the ended lanes' values are undefined",
           &current, done.site);
  }
  done.complete(done);
  for (int l = 0; l < 32; ++l) {
    Thread& lane = b.threads[32 * w + l];
    if ((done.arrived & (1u << l)) && &lane != &current) wake(lane);
  }
}

void complete_barrier(Launch& launch) {
  Block& b = *launch.block;
  if (b.barrier_sites_differ) {
    std::string sites;
    for (const Thread& other : b.threads) {
      if (other.state != ThreadState::kBarrier) continue;
      const std::string s = describe(other.wait_site);
      if (sites.find(s) == std::string::npos) sites += (sites.empty() ? "" : ", ") + s;
    }
    report(Finding::kBarrier,
           "the threads of the block meet at different __syncthreads (" + sites + "): a barrier inside divergent code",
           nullptr, b.barrier_site);
  }
  if (b.exited > 0 && first_report(Finding::kBarrier, b.barrier_site.file, b.barrier_site.line)) {
    report(Finding::kBarrier,
           "__syncthreads reached by " + std::to_string(b.at_barrier) + " of " + std::to_string(b.threads.size()) +
               " threads; the others have ended (on sm_70 and newer ended threads count as arrived, so it completes, "
               "but it orders nothing for them: a barrier some threads skip)",
           nullptr, b.barrier_site);
  }
  // A new epoch, whose threads run in a fresh order.
  b.at_barrier = 0;
  ++b.epoch;
  std::vector<int> order;
  for (const Thread& t : b.threads) {
    if (t.state == ThreadState::kBarrier) order.push_back(t.index);
  }
  if (state().options.shuffle_threads) std::shuffle(order.begin(), order.end(), launch.rng);
  for (int i : order) wake(b.threads[i]);
}

}  // namespace

void barrier_arrive(Site site) {
  Thread& t = current_thread("__syncthreads", site);
  Launch& launch = *tls_launch;
  Block& b = *launch.block;
  if (b.at_barrier == 0) {
    b.barrier_site = site;
    b.barrier_sites_differ = false;
  } else if (b.barrier_site.line != site.line || b.barrier_site.file != site.file) {
    b.barrier_sites_differ = true;
  }
  ++b.at_barrier;
  t.state = ThreadState::kBarrier;
  t.wait_site = site;
  t.wait_what = "__syncthreads";
  if (b.at_barrier + b.exited == static_cast<int>(b.threads.size())) complete_barrier(launch);
  suspend(t);
}

void join_collective(Collective kind, std::uint32_t mask, int mode, void* payload, Site site,
                     void (*complete)(PendingCollective&)) {
  Thread& t = current_thread(collective_name(kind), site);
  Block& b = *tls_launch->block;
  const int w = t.index / 32, lane = t.index % 32;
  const std::uint32_t present = lanes_of(b, w);
  Warp& warp = b.warps[w];
  const std::string name = collective_name(kind);
  if (aligned_collective(kind) && present != 0xFFFFFFFFu) {
    fail(Finding::kWarpCollective,
         name + " in a warp of " + std::to_string(__builtin_popcount(present)) +
             " threads: it needs all 32 lanes (the block size is not a multiple of 32)",
         &t, site);
  }
  if (!(mask & (1u << lane)))
    fail(Finding::kWarpCollective, name + " with a mask that leaves out its own lane", &t, site);
  if (mask & ~present) fail(Finding::kWarpCollective, name + " names lanes the block does not have", &t, site);
  if (aligned_collective(kind) && (mask & warp.exited)) {
    fail(Finding::kWarpCollective,
         name + " waits for lanes that have ended (" + lane_list(mask & warp.exited) + "): .aligned needs all 32", &t,
         site);
  }
  auto it = std::find_if(warp.pending.begin(), warp.pending.end(),
                         [&](const PendingCollective& c) { return c.kind == kind && c.mask == mask; });
  if (it == warp.pending.end()) {
    warp.pending.push_back(PendingCollective{kind, mask, 0, mode, site, {}, complete});
    it = warp.pending.end() - 1;
  } else if (it->mode != mode ||
             (aligned_collective(kind) && (it->site.line != site.line || it->site.file != site.file))) {
    // .aligned instructions must be the same instruction in every lane; a shuffle must agree on its mode.
    fail(Finding::kWarpCollective,
         name + " reached at different sites or with different operands by the lanes of one warp (" +
             describe(it->site) + " and " + describe(site) + "): the lanes have diverged",
         &t, site);
  }
  it->payload[lane] = payload;
  it->arrived |= 1u << lane;
  if ((it->arrived | (it->mask & warp.exited)) == it->mask) {
    finish_collective(b, w, it, t);
    return;
  }
  t.state = ThreadState::kWarp;
  t.wait_site = site;
  t.wait_what = collective_name(kind);
  suspend(t);
}

// The end of a thread: its copies still in flight land, as the hardware lands them; a barrier or collective that
// waits for it can no longer complete.
void run_thread(Launch& launch, Thread& t) {
  (*launch.body)();
  // Copies never committed to a group are in no group a wait could retire; they land when the thread ends.
  if (!t.open_copies.empty()) t.copy_groups.push_back(std::move(t.open_copies));
  deliver_copies(t, 0);
  t.state = ThreadState::kExited;
  Block& b = *launch.block;
  ++b.exited;
  const int w = t.index / 32;
  Warp& warp = b.warps[w];
  warp.exited |= 1u << (t.index % 32);
  // A shuffle or __syncwarp that waited only for lanes that have now ended completes (an .aligned one cannot).
  for (auto it = warp.pending.begin(); it != warp.pending.end();) {
    if (!aligned_collective(it->kind) && (it->arrived | (it->mask & warp.exited)) == it->mask) {
      finish_collective(b, w, it, t);
      it = warp.pending.begin();
    } else {
      ++it;
    }
  }
  if (b.at_barrier > 0 && b.at_barrier + b.exited == static_cast<int>(b.threads.size())) complete_barrier(launch);
}

}  // namespace detail

const char* finding_name(Finding f) {
  switch (f) {
    case Finding::kRace:
      return "shared-memory race";
    case Finding::kUnwrittenRead:
      return "read of shared memory never written";
    case Finding::kPendingAccess:
      return "access to shared memory an async copy has not delivered";
    case Finding::kSharedBounds:
      return "shared-memory access out of bounds";
    case Finding::kGlobalBounds:
      return "global-memory access out of bounds";
    case Finding::kBarrier:
      return "barrier divergence";
    case Finding::kWarpCollective:
      return "warp collective divergence";
    case Finding::kDeadlock:
      return "deadlock";
    case Finding::kLimit:
      return "never ends";
    case Finding::kTrap:
      return "trap";
    case Finding::kUnimplemented:
      return "not emulated";
    case Finding::kLaunch:
      return "invalid launch";
  }
  return "?";
}

DeviceModel& device() { return detail::state().device; }
Options& options() { return detail::state().options; }
const std::vector<Diagnostic>& diagnostics() { return detail::state().diagnostics; }

std::vector<TrafficCount> take_traffic() {
  auto& s = detail::state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return std::exchange(s.traffic, {});
}

std::vector<TrafficFootprint> take_footprints() {
  auto& s = detail::state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return std::exchange(s.footprints, {});
}

std::vector<Diagnostic> take_diagnostics() {
  auto& s = detail::state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.printed = 0;
  return std::exchange(s.diagnostics, {});
}

DeviceModel DeviceModel::from_environment() {
  DeviceModel d;
  auto number = [](const char* name, long fallback) {
    const char* text = std::getenv(name);
    char* end = nullptr;
    const long value = text ? std::strtol(text, &end, 10) : fallback;
    return text && (end == text || *end != '\0' || value < 0) ? fallback : value;
  };
  d.count = static_cast<int>(number("CUDA_EMU_DEVICES", d.count));
  d.memory_bytes = static_cast<std::size_t>(number("CUDA_EMU_MEMORY_MIB", static_cast<long>(d.memory_bytes >> 20)))
                   << 20;
  d.sm_count = std::max(1, static_cast<int>(number("CUDA_EMU_SMS", d.sm_count)));
  return d;
}

void reset() {
  detail::reset_runtime();
  auto& s = detail::state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.device = DeviceModel::from_environment();
  s.options = Options{};
  s.diagnostics.clear();
  s.traffic.clear();
  s.footprints.clear();
  s.printed = 0;
  s.max_dynamic_shared.clear();
  s.launches = 0;
}

void reset_launch_count() {
  auto& s = detail::state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.launches = 0;
}

cudaError_t set_max_dynamic_shared(const void* kernel, std::size_t bytes) {
  auto& s = detail::state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (bytes > s.device.shared_per_block_optin) return cudaErrorInvalidValue;
  s.max_dynamic_shared[kernel] = bytes;
  return cudaSuccess;
}

cudaError_t max_active_blocks_per_sm(int* blocks, const void* /*kernel*/, int threads, std::size_t shared_bytes) {
  const DeviceModel& d = device();
  if (!blocks || threads <= 0 || threads > d.max_threads_per_block) return cudaErrorInvalidValue;
  int by_threads = d.max_threads_per_sm / (((threads + 31) / 32) * 32);
  int by_shared = shared_bytes ? static_cast<int>(d.shared_per_sm / shared_bytes) : d.max_blocks_per_sm;
  *blocks = std::min({by_threads, by_shared, d.max_blocks_per_sm});
  return cudaSuccess;
}

namespace detail {

namespace {

// What is wrong with a launch's configuration, or "".
std::string invalid_launch(const void* kernel, const LaunchConfig& config) {
  State& s = state();
  const dim3& g = config.grid;
  const dim3& bd = config.block;
  const std::int64_t threads = static_cast<std::int64_t>(bd.x) * bd.y * bd.z;
  const std::int64_t blocks = static_cast<std::int64_t>(g.x) * g.y * g.z;
  std::size_t allowed = s.device.shared_per_block;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (auto it = s.max_dynamic_shared.find(kernel); it != s.max_dynamic_shared.end()) allowed = it->second;
  }
  if (threads < 1 || threads > s.device.max_threads_per_block) {
    return "a block of " + std::to_string(threads) + " threads (1 to " +
           std::to_string(s.device.max_threads_per_block) + ")";
  }
  if (blocks < 1 || g.y > 65535 || g.z > 65535) return "a grid of " + dims(g) + " blocks";
  if (config.shared_bytes > allowed) {
    return std::to_string(config.shared_bytes) + " bytes of dynamic shared memory, more than the " +
           std::to_string(allowed) +
           " allowed (above the default, cudaFuncSetAttribute's MaxDynamicSharedMemorySize must allow it)";
  }
  if (config.cluster.x * config.cluster.y * config.cluster.z != 1) {
    return "thread-block clusters, which the emulator does not implement yet";
  }
  return "";
}

struct Executed {
  cudaError_t error = cudaSuccess;
  std::uint64_t switches = 0;
};

// Runs every block of a valid launch on this OS thread.
Executed execute(const void* kernel, const LaunchConfig& config, const KernelBody& body) {
  State& s = state();
  Launch launch;
  launch.kernel = kernel;
  launch.kernel_name = function_name(kernel);
  launch.config = config;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    launch.number = s.launches++;
  }
  launch.rng.seed(s.options.seed * 0x9E3779B97F4A7C15ull + launch.number);
  launch.start = std::chrono::steady_clock::now();
  launch.body = &body;
  if (s.options.count_traffic) launch.traffic = std::make_unique<LaunchTraffic>();
  const dim3& g = config.grid;
  const dim3& bd = config.block;
  launch.threads_per_block = static_cast<int>(bd.x * bd.y * bd.z);
  const std::int64_t blocks = static_cast<std::int64_t>(g.x) * g.y * g.z;
  Launch* outer = std::exchange(tls_launch, &launch);
  std::vector<std::int64_t> order(blocks);
  for (std::int64_t i = 0; i < blocks; ++i) order[i] = i;
  if (s.options.shuffle_blocks) std::shuffle(order.begin(), order.end(), launch.rng);
  for (const std::int64_t linear : order) {
    Block block;
    block.linear = linear;
    block.idx = {static_cast<unsigned>(linear % g.x), static_cast<unsigned>((linear / g.x) % g.y),
                 static_cast<unsigned>(linear / (static_cast<std::int64_t>(g.x) * g.y))};
    launch.shared.reset(s.device.static_shared_capacity, config.shared_bytes, 1024, config.plain_accesses_seen);
    run_block(launch, block);
    if (launch.traffic) launch.traffic->end_block();
    if (launch.error != cudaSuccess) break;
  }
  tls_launch = outer;
  if (launch.traffic) {
    std::vector<TrafficCount> counted = launch.traffic->totals(launch.kernel_name);
    TrafficFootprint footprint = launch.traffic->footprint(launch.kernel_name);
    std::lock_guard<std::mutex> lock(s.mutex);
    s.traffic.insert(s.traffic.end(), counted.begin(), counted.end());
    s.footprints.push_back(std::move(footprint));
  }
  // Findings that are not fatal on a GPU (a race, an unwritten read) still fail the launch: the emulator's verdict.
  if (launch.error == cudaSuccess && launch.findings > 0) launch.error = cudaErrorLaunchFailure;
  return {launch.error, launch.steps};
}

}  // namespace

cudaError_t run_kernel(const void* kernel, const LaunchConfig& config, const KernelBody& body) {
  // A dead context answers every call with its error, a bad launch included.
  if (const cudaError_t sticky = sticky_error(stream_device(config.stream)); sticky != cudaSuccess) return sticky;
  if (const std::string invalid = invalid_launch(kernel, config); !invalid.empty()) {
    Launch named;  // for the finding's kernel name
    named.kernel = kernel;
    named.kernel_name = function_name(kernel);
    Launch* outer = std::exchange(tls_launch, &named);
    report(invalid.find("clusters") != std::string::npos ? Finding::kUnimplemented : Finding::kLaunch,
           "the launch asks for " + invalid, nullptr, config.site);
    tls_launch = outer;
    return cudaErrorInvalidConfiguration;
  }
  // In stream order: on the calling thread at once for the null stream, on the stream's worker otherwise.
  const auto kept = std::make_shared<KernelBody>(body);
  const std::int64_t threads = static_cast<std::int64_t>(config.grid.x) * config.grid.y * config.grid.z *
                               config.block.x * config.block.y * config.block.z;
  return submit(config.stream, Work{[kernel, config, kept, threads](double* duration_ns) {
                                      const Executed done = execute(kernel, config, *kept);
                                      *duration_ns = kernel_duration_ns(threads, done.switches);
                                      return done.error;
                                    },
                                    Work::Callback{}, Work::Callback{}});
}

}  // namespace detail
}  // namespace cuda_emu

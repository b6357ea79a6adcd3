// cuda_emu: a CPU stand-in for a CUDA device, for tests. Kernels written in CUDA C++ are compiled as host C++ with
// emulator/cuda_shim.hpp force-included; a launch runs every block of the grid on the calling thread, each CUDA
// thread a fiber, and checks what a GPU run would not report: shared-memory races and reads of shared memory never
// written, barriers and warp collectives that not every thread reaches, cp.async data read before its wait, global
// reads outside every allocation, and kernels that never end. Values are computed as the PTX ISA defines them;
// time is not modelled at all (docs/emulator.md says what a CPU run shows and what it cannot).
//
// The emulator knows nothing of the program that uses it: this header is its whole interface to host code
// (launches, allocations, the device's description, options, diagnostics), and device_api.hpp is the interface of
// device code.
#pragma once

#include <cuda_runtime_api.h>
#include <vector_types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "emulator/site.hpp"

namespace cuda_emu {

// The device launches are checked against and occupancy queries answered from: a small made-up GPU by default, so
// persistent grids stay small enough to emulate. Every device of the emulated runtime (cudart.cpp) is this one.
// The environment can change some of it (read by from_environment(), which is the default and what reset()
// restores): CUDA_EMU_DEVICES (how many, default 1), CUDA_EMU_MEMORY_MIB (each one's memory, default 2048; only
// what is allocated is used, from the host), CUDA_EMU_SMS (SMs, default 4).
struct DeviceModel {
  std::string name = "cuda_emu EMULATED device (a CPU, not a GPU)";
  int count = 1;
  int sm = 80;  // compute capability, major * 10 + minor
  int sm_count = 4;
  std::size_t memory_bytes = std::size_t{2048} << 20;
  std::size_t l2_bytes = 256 * 1024;
  int max_threads_per_block = 1024;
  int max_threads_per_sm = 1536;
  int max_blocks_per_sm = 16;
  std::size_t shared_per_block = 48 * 1024;        // without an opt-in
  std::size_t shared_per_block_optin = 99 * 1024;  // the most a kernel may opt in to
  std::size_t shared_per_sm = 100 * 1024;
  std::size_t static_shared_capacity = 48 * 1024;  // room for a block's static __shared__ variables

  static DeviceModel from_environment();
};

// How launches are scheduled and checked.
struct Options {
  // Blocks run one at a time in an order drawn from `seed`; within each barrier epoch the threads run in an order drawn
  // from it too, so a kernel that depends on either order gives different values under different seeds.
  std::uint64_t seed = 1;
  bool shuffle_blocks = true;
  bool shuffle_threads = true;
  // Shadow state per byte of shared memory: races between barriers, reads of bytes never written, accesses to bytes
  // an asynchronous copy has not delivered. Plain C++ accesses are seen only in a build instrumented for it
  // (CMake: cuda_emu_instrument); the PTX operations (ldmatrix, cp.async) are always checked.
  bool check_shared = true;
  // A launch that switches between its threads this many times, or runs this long, is reported as never ending.
  std::uint64_t step_limit = 2'000'000'000ull;
  double time_limit_s = 300;
  // Diagnostics printed to stderr as they are found (all are kept in diagnostics()).
  int print_limit = 20;
  // Count each launch's memory traffic (take_traffic()). Off by default: it keeps every access of a block until the
  // block ends.
  bool count_traffic = false;
};

enum class Finding {
  kRace,            // two threads access a shared byte between two barriers, at least one writing
  kUnwrittenRead,   // a read of shared memory no thread of the block has written
  kPendingAccess,   // an access to shared bytes an asynchronous copy has not delivered yet
  kSharedBounds,    // a shared-memory address outside the block's allocations
  kGlobalBounds,    // a global address outside every allocation
  kBarrier,         // a barrier not reached by every thread of its block, or reached at different sites
  kWarpCollective,  // a warp collective not reached by every lane it names, or reached with different arguments
  kDeadlock,        // no thread can run, and some have not ended
  kLimit,           // the step or time limit was reached
  kTrap,            // the kernel executed a trap
  kUnimplemented,   // an instruction the emulator does not implement
  kLaunch,          // an invalid launch (configuration, shared memory, arguments)
};
const char* finding_name(Finding f);

struct Diagnostic {
  Finding finding;
  std::string message;  // names the kernel, the block, the thread or lane, and the source line
};

DeviceModel& device();
Options& options();
// Everything found since the last take_diagnostics(), oldest first.
const std::vector<Diagnostic>& diagnostics();
std::vector<Diagnostic> take_diagnostics();
// Restores the default device, options and kernel attributes, and drops the diagnostics.
void reset();
// Numbers launches from 0 again: with the seed, the launch number draws a launch's schedule, so that a run is
// reproduced by the seed and the number its findings give.
void reset_launch_count();

// The memory traffic of one access site of one kernel, summed over a launch (Options::count_traffic): the warp-level
// requests its lanes made (a request is the k-th execution of the site by the lanes of one warp, as a GPU issues one
// instruction for the warp) and what the memory serves them with: 32-byte sectors for global memory; for shared
// memory, wavefronts, the passes a request needs (lanes are served in phases of 128 bytes' worth: 32 lanes of 4 bytes,
// 16 of 8, 8 of 16; within a phase each bank serves one 4-byte word a pass, and lanes reading one word share it).
// A model of requests, never a time. The emulated instructions (cp.async, ldmatrix) are counted at their own width;
// plain loads and stores only in an instrumented build, at the width the host compiler gave them, which can be
// narrower than the GPU's (a 16-byte load split into four): compare with the kernel's SASS before trusting a ratio.
struct TrafficCount {
  std::string kernel;
  std::string where;        // the source line
  std::string instruction;  // load, store (plain C++), cp.async, ldmatrix
  bool shared = false;      // shared memory, else global
  bool write = false;
  std::uint64_t requests = 0, lane_accesses = 0, bytes = 0;
  std::uint64_t sectors = 0;     // global
  std::uint64_t wavefronts = 0;  // shared
};
// The traffic of every launch since the last take_traffic(), oldest launch first.
std::vector<TrafficCount> take_traffic();
// The global memory a launch touched, each 32-byte sector once however often it was requested: what it would move to
// and from DRAM with a cache that never evicts, a lower bound on its DRAM traffic.
struct TrafficFootprint {
  std::string kernel;
  std::uint64_t sectors_read = 0, sectors_written = 0;
};
// The footprint of every launch since the last take_footprints(), oldest first (Options::count_traffic).
std::vector<TrafficFootprint> take_footprints();

// Global memory. Exact-size allocations, 256-byte aligned as cudaMalloc's (under AddressSanitizer an access past the
// end is reported where it happens), registered so that the emulated instructions can check their global addresses.
void* malloc_global(std::size_t bytes);
void free_global(void* p);
// Whether [p, p + bytes) lies inside one allocation made by malloc_global or registered here.
bool in_global_allocation(const void* p, std::size_t bytes);
void register_global(const void* p, std::size_t bytes);
void unregister_global(const void* p);

// A kernel launch as the runtime's cudaLaunchKernelEx takes it.
struct LaunchConfig {
  dim3 grid{1, 1, 1};
  dim3 block{1, 1, 1};
  std::size_t shared_bytes = 0;  // dynamic shared memory
  dim3 cluster{1, 1, 1};
  cudaStream_t stream = nullptr;  // the null stream runs the kernel on the calling thread before launch returns
  Site site;                      // where the launch was made
  // Whether the kernel's plain loads and stores reach the emulator (its translation unit is instrumented): launch()
  // sets it from the compile it is instantiated in. Without them a read of shared memory written by a plain store
  // cannot be told from a read of memory never written, so that finding is not made.
  bool plain_accesses_seen = false;
};

namespace detail {
using KernelBody = std::function<void()>;
cudaError_t run_kernel(const void* kernel, const LaunchConfig& config, const KernelBody& body);
}  // namespace detail

// Runs `kernel` over the grid: on the null stream before it returns (cudaSuccess, or the error a GPU would give for
// the first fatal finding; cudaErrorLaunchFailure for findings only the emulator makes), on another stream in that
// stream's order (an error then ends the device's context, and the runtime's later calls return it). A configuration
// that cannot launch fails at once. The arguments are converted to the kernel's parameter types once, as a launch
// copies them, and every thread gets its own copy.
template <class... Params, class... Args>
cudaError_t launch(void (*kernel)(Params...), const LaunchConfig& config, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "a kernel launch passes every parameter");
  auto params = std::make_shared<std::tuple<std::decay_t<Params>...>>(std::forward<Args>(args)...);
  LaunchConfig checked = config;
#if defined(__SANITIZE_THREAD__)
  checked.plain_accesses_seen = true;
#endif
  return detail::run_kernel(reinterpret_cast<const void*>(kernel), checked,
                            [kernel, params] { std::apply(kernel, *params); });
}

// cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes): a launch with more than
// DeviceModel::shared_per_block of dynamic shared memory fails without it, as on a GPU.
cudaError_t set_max_dynamic_shared(const void* kernel, std::size_t bytes);
// cudaOccupancyMaxActiveBlocksPerMultiprocessor, from the device model's threads, blocks and shared memory per SM.
cudaError_t max_active_blocks_per_sm(int* blocks, const void* kernel, int threads, std::size_t shared_bytes);

}  // namespace cuda_emu

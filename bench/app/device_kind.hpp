// Which device this build of bench_llama runs on: a GPU (bench_llama), or the CPU emulator (bench_llama_emulated, a
// test of the measured path built by the emu preset, which defines BENCH_LLAMA_EMULATED_DEVICE). An emulated run's
// times are made up: its folder goes to emulated/, never under results/, its rows and env.json say `emulated`, and
// the scripts refuse it unless asked. It also gives the harness's own kernels small work, since the emulator runs each
// CUDA thread as a fiber on the CPU.
#pragma once

#include <cstdint>

namespace bench {

#if defined(BENCH_LLAMA_EMULATED_DEVICE)
inline constexpr bool kEmulatedDevice = true;
#else
inline constexpr bool kEmulatedDevice = false;
#endif

// The device_kind of every row and of env.json.
inline const char* device_kind() { return kEmulatedDevice ? "emulated" : "gpu"; }
// Where a run's folder goes by default: results/<gpu>/<date>_<commit>/ (or emulated/... for an emulated run).
inline const char* results_root() { return kEmulatedDevice ? "emulated" : "results"; }

// How much work the harness's own kernels get. On a GPU: the flush passes over at least 64 MiB, the DRAM ceilings
// stream at least 1 GiB (far larger than any L2), the MMA peak loop runs 16384 rounds, the cuBLAS ceiling is an
// 8192^3 GEMM. On the emulator: a few hundred kilobytes and a handful of rounds, enough to run every path.
struct HarnessWork {
  std::int64_t flush_min_bytes;
  std::int64_t stream_min_bytes;
  int mma_peak_iterations;
  int cublas_ceiling_size;
};
inline constexpr HarnessWork kHarnessWork =
    kEmulatedDevice ? HarnessWork{std::int64_t{256} << 10, std::int64_t{256} << 10, 8, 128}
                    : HarnessWork{std::int64_t{64} << 20, std::int64_t{1} << 30, 16384, 8192};

}  // namespace bench

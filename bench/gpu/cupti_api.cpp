#include "bench/gpu/cupti_api.hpp"

#include <dlfcn.h>

#include <filesystem>

#include "bench/gpu/cuda_library.hpp"

#ifndef BENCH_LLAMA_CUPTI_SONAME
#error "BENCH_LLAMA_CUPTI_SONAME (libcupti.so.<CUDA major>) comes from bench/CMakeLists.txt"
#endif
#ifndef BENCH_LLAMA_CUPTI_DIR
#define BENCH_LLAMA_CUPTI_DIR ""
#endif

namespace bench {
namespace {

template <class Fn>
bool bind(void* lib, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

// Binds every function, or returns the first missing one's name.
std::string bind_all(void* lib, CuptiApi& a) {
  const std::pair<const char*, bool> bound[] = {
      {"cuptiGetResultString", bind(lib, "cuptiGetResultString", a.GetResultString)},
      {"cuptiDeviceGetChipName", bind(lib, "cuptiDeviceGetChipName", a.DeviceGetChipName)},
      {"cuptiProfilerInitialize", bind(lib, "cuptiProfilerInitialize", a.ProfilerInitialize)},
      {"cuptiProfilerGetCounterAvailability",
       bind(lib, "cuptiProfilerGetCounterAvailability", a.ProfilerGetCounterAvailability)},
      {"cuptiProfilerHostInitialize", bind(lib, "cuptiProfilerHostInitialize", a.ProfilerHostInitialize)},
      {"cuptiProfilerHostDeinitialize", bind(lib, "cuptiProfilerHostDeinitialize", a.ProfilerHostDeinitialize)},
      {"cuptiProfilerHostConfigAddMetrics",
       bind(lib, "cuptiProfilerHostConfigAddMetrics", a.ProfilerHostConfigAddMetrics)},
      {"cuptiProfilerHostGetConfigImageSize",
       bind(lib, "cuptiProfilerHostGetConfigImageSize", a.ProfilerHostGetConfigImageSize)},
      {"cuptiProfilerHostGetConfigImage", bind(lib, "cuptiProfilerHostGetConfigImage", a.ProfilerHostGetConfigImage)},
      {"cuptiProfilerHostGetNumOfPasses", bind(lib, "cuptiProfilerHostGetNumOfPasses", a.ProfilerHostGetNumOfPasses)},
      {"cuptiProfilerHostEvaluateToGpuValues",
       bind(lib, "cuptiProfilerHostEvaluateToGpuValues", a.ProfilerHostEvaluateToGpuValues)},
      {"cuptiRangeProfilerEnable", bind(lib, "cuptiRangeProfilerEnable", a.RangeProfilerEnable)},
      {"cuptiRangeProfilerDisable", bind(lib, "cuptiRangeProfilerDisable", a.RangeProfilerDisable)},
      {"cuptiRangeProfilerGetCounterDataSize",
       bind(lib, "cuptiRangeProfilerGetCounterDataSize", a.RangeProfilerGetCounterDataSize)},
      {"cuptiRangeProfilerCounterDataImageInitialize",
       bind(lib, "cuptiRangeProfilerCounterDataImageInitialize", a.RangeProfilerCounterDataImageInitialize)},
      {"cuptiRangeProfilerSetConfig", bind(lib, "cuptiRangeProfilerSetConfig", a.RangeProfilerSetConfig)},
      {"cuptiRangeProfilerStart", bind(lib, "cuptiRangeProfilerStart", a.RangeProfilerStart)},
      {"cuptiRangeProfilerStop", bind(lib, "cuptiRangeProfilerStop", a.RangeProfilerStop)},
      {"cuptiRangeProfilerPushRange", bind(lib, "cuptiRangeProfilerPushRange", a.RangeProfilerPushRange)},
      {"cuptiRangeProfilerPopRange", bind(lib, "cuptiRangeProfilerPopRange", a.RangeProfilerPopRange)},
      {"cuptiRangeProfilerDecodeData", bind(lib, "cuptiRangeProfilerDecodeData", a.RangeProfilerDecodeData)},
  };
  for (const auto& [name, ok] : bound) {
    if (!ok) return name;
  }
  return "";
}

struct Loaded {
  CuptiApi api;
  std::string why;  // empty when loaded
};

Loaded load() {
  Loaded loaded;
  std::string candidate, tried;
  // CUPTI's host API loads libnvperf_host.so (and the range profiler libnvperf_target.so) by name only, which finds
  // nothing when CUPTI's folder is not on the loader's path: load them from that folder first.
  const auto helpers = [](const std::string& folder) {
    for (const char* helper : {"/libnvperf_host.so", "/libnvperf_target.so"}) {
      std::error_code unreadable;
      if (std::filesystem::exists(folder + helper, unreadable))
        dlopen((folder + helper).c_str(), RTLD_NOW | RTLD_LOCAL);
    }
  };
  void* lib = open_cuda_library(cupti_candidates(), &candidate, &tried, helpers);
  if (!lib) {
    loaded.why = std::string("CUPTI (") + BENCH_LLAMA_CUPTI_SONAME + ") not found or not loadable (tried " + tried +
                 "); add the folder that holds it, e.g. /usr/local/cuda/extras/CUPTI/lib64, to LD_LIBRARY_PATH";
  } else if (const std::string missing = bind_all(lib, loaded.api); !missing.empty()) {
    loaded.why = candidate + " lacks " + missing + " (a CUPTI older than CUDA 13's); point LD_LIBRARY_PATH at the " +
                 "CUPTI of CUDA 13 or newer";
  }
  return loaded;
}

}  // namespace

std::vector<std::string> cupti_candidates() {
  return cuda_library_candidates(BENCH_LLAMA_CUPTI_SONAME, BENCH_LLAMA_CUPTI_DIR,
                                 {"/extras/CUPTI/lib64", "/lib64", "/targets/x86_64-linux/lib", "/lib"});
}

const CuptiApi* cupti_api(std::string* why) {
  static const Loaded loaded = load();
  if (!loaded.why.empty()) {
    *why = loaded.why;
    return nullptr;
  }
  return &loaded.api;
}

}  // namespace bench

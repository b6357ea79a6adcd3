// CUPTI, loaded at run time with dlopen, and only when counters are asked for (--counters, or the offline metric
// check): bench_llama needs no CUPTI on a machine where nobody reads counters, and finds it where a CUDA install puts
// it when someone does. The headers come from the CUDA Toolkit at build time; only the calls bench/gpu/counters.cpp
// makes are bound.
#pragma once

#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_target.h>

#include <string>
#include <vector>

namespace bench {

struct CuptiApi {
  decltype(&cuptiGetResultString) GetResultString = nullptr;
  decltype(&cuptiDeviceGetChipName) DeviceGetChipName = nullptr;
  decltype(&cuptiProfilerInitialize) ProfilerInitialize = nullptr;
  decltype(&cuptiProfilerGetCounterAvailability) ProfilerGetCounterAvailability = nullptr;
  decltype(&cuptiProfilerHostInitialize) ProfilerHostInitialize = nullptr;
  decltype(&cuptiProfilerHostDeinitialize) ProfilerHostDeinitialize = nullptr;
  decltype(&cuptiProfilerHostConfigAddMetrics) ProfilerHostConfigAddMetrics = nullptr;
  decltype(&cuptiProfilerHostGetConfigImageSize) ProfilerHostGetConfigImageSize = nullptr;
  decltype(&cuptiProfilerHostGetConfigImage) ProfilerHostGetConfigImage = nullptr;
  decltype(&cuptiProfilerHostGetNumOfPasses) ProfilerHostGetNumOfPasses = nullptr;
  decltype(&cuptiProfilerHostEvaluateToGpuValues) ProfilerHostEvaluateToGpuValues = nullptr;
  decltype(&cuptiRangeProfilerEnable) RangeProfilerEnable = nullptr;
  decltype(&cuptiRangeProfilerDisable) RangeProfilerDisable = nullptr;
  decltype(&cuptiRangeProfilerGetCounterDataSize) RangeProfilerGetCounterDataSize = nullptr;
  decltype(&cuptiRangeProfilerCounterDataImageInitialize) RangeProfilerCounterDataImageInitialize = nullptr;
  decltype(&cuptiRangeProfilerSetConfig) RangeProfilerSetConfig = nullptr;
  decltype(&cuptiRangeProfilerStart) RangeProfilerStart = nullptr;
  decltype(&cuptiRangeProfilerStop) RangeProfilerStop = nullptr;
  decltype(&cuptiRangeProfilerPushRange) RangeProfilerPushRange = nullptr;
  decltype(&cuptiRangeProfilerPopRange) RangeProfilerPopRange = nullptr;
  decltype(&cuptiRangeProfilerDecodeData) RangeProfilerDecodeData = nullptr;
};

// Where bench_llama looks for CUPTI (bench/gpu/cuda_library.hpp): by name, then extras/CUPTI/lib64, lib64,
// targets/x86_64-linux/lib and lib of $CUDA_HOME, the build's toolkit and the usual CUDA install folders.
std::vector<std::string> cupti_candidates();

// The loaded API (loaded once, on first use), or nullptr with *why saying what was tried and the fix.
const CuptiApi* cupti_api(std::string* why);

}  // namespace bench

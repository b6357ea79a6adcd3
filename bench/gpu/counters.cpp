#include "bench/gpu/counters.hpp"

#include <cuda.h>

#include "bench/gpu/cuda_check.hpp"
#include "bench/gpu/cupti_api.hpp"

namespace bench {
namespace {

// A CUPTI parameter struct: zeroed, with its size set (CUPTI's versioning of its structs).
template <class Params>
Params params(std::size_t struct_size) {
  Params p{};
  p.structSize = struct_size;
  return p;
}

// The loaded API: only called after cupti_api() succeeded (check_metrics_offline and CounterProfiler::create ask).
const CuptiApi& cupti() {
  std::string why;
  return *cupti_api(&why);
}

const char* cupti_text(CUptiResult result) {
  const char* text = nullptr;
  cupti().GetResultString(result, &text);
  return text ? text : "unknown CUPTI error";
}

// A host object for one chip with our metrics configured; its config image says how to collect them.
struct HostConfig {
  CUpti_Profiler_Host_Object* host = nullptr;
  std::vector<std::uint8_t> image;
  std::string error;

  HostConfig(const std::string& chip, const std::uint8_t* availability) {
    auto init = params<CUpti_Profiler_Host_Initialize_Params>(CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE);
    init.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
    init.pChipName = chip.c_str();
    init.pCounterAvailabilityImage = availability;
    if (const CUptiResult r = cupti().ProfilerHostInitialize(&init); r != CUPTI_SUCCESS) {
      error = "chip " + chip + ": " + cupti_text(r);
      // CUPTI's host API loads libnvperf_host.so by name; bench/gpu/cupti_api.cpp loads it from CUPTI's folder first.
      if (r == CUPTI_ERROR_NOT_INITIALIZED) error += " (libnvperf_host.so could not be loaded: is it beside libcupti?)";
      return;
    }
    host = init.pHostObject;
    std::vector<const char*> names = counter_metrics();
    auto add =
        params<CUpti_Profiler_Host_ConfigAddMetrics_Params>(CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE);
    add.pHostObject = host;
    add.ppMetricNames = names.data();
    add.numMetrics = names.size();
    if (const CUptiResult r = cupti().ProfilerHostConfigAddMetrics(&add); r != CUPTI_SUCCESS) {
      error = "metrics on " + chip + ": " + cupti_text(r);
      return;
    }
    auto size = params<CUpti_Profiler_Host_GetConfigImageSize_Params>(
        CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE);
    size.pHostObject = host;
    if (const CUptiResult r = cupti().ProfilerHostGetConfigImageSize(&size); r != CUPTI_SUCCESS) {
      error = cupti_text(r);
      return;
    }
    image.resize(size.configImageSize);
    auto get = params<CUpti_Profiler_Host_GetConfigImage_Params>(CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE);
    get.pHostObject = host;
    get.configImageSize = image.size();
    get.pConfigImage = image.data();
    if (const CUptiResult r = cupti().ProfilerHostGetConfigImage(&get); r != CUPTI_SUCCESS) error = cupti_text(r);
  }
  ~HostConfig() {
    if (host) {
      auto done = params<CUpti_Profiler_Host_Deinitialize_Params>(CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE);
      done.pHostObject = host;
      cupti().ProfilerHostDeinitialize(&done);
    }
  }
  HostConfig(const HostConfig&) = delete;
  HostConfig& operator=(const HostConfig&) = delete;
};

// The current CUDA context, through the runtime's driver entry point (bench_llama does not link libcuda).
CUcontext current_context() {
  using GetCurrent = CUresult (*)(CUcontext*);
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult status{};
  if (cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &fn, 12000, cudaEnableDefault, &status) != cudaSuccess ||
      status != cudaDriverEntryPointSuccess) {
    return nullptr;
  }
  CUcontext ctx = nullptr;
  return reinterpret_cast<GetCurrent>(fn)(&ctx) == CUDA_SUCCESS ? ctx : nullptr;
}

}  // namespace

const std::vector<const char*>& counter_metrics() {
  static const std::vector<const char*> metrics = {"dram__bytes_read.sum", "dram__bytes_write.sum", "lts__t_bytes.sum",
                                                   "gpu__time_duration.sum"};
  return metrics;
}

MetricCheck check_metrics_offline(const std::string& chip) {
  MetricCheck check;
  if (!cupti_api(&check.error)) return check;
  HostConfig config(chip, nullptr);
  if (!config.error.empty()) {
    check.error = config.error;
    return check;
  }
  auto passes =
      params<CUpti_Profiler_Host_GetNumOfPasses_Params>(CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE);
  passes.configImageSize = config.image.size();
  passes.pConfigImage = config.image.data();
  if (const CUptiResult r = cupti().ProfilerHostGetNumOfPasses(&passes); r != CUPTI_SUCCESS) {
    check.error = cupti_text(r);
    return check;
  }
  check.valid = true;
  check.passes = passes.numOfPasses;
  return check;
}

std::string counters_refused_hint(const std::string& why) {
  const std::string columns = "hardware counters unavailable (" + why +
                              "): the dram_bytes_measured, l2_bytes_measured and intensity_measured columns stay empty";
  if (why.rfind("CUPTI (", 0) == 0 || why.find(" lacks ") != std::string::npos)
    return columns;  // the library: fix named
  return columns +
         ". To allow them: run as root, or load the driver with NVreg_RestrictProfilingToAdminUsers=0 (see NVIDIA's "
         "ERR_NVGPUCTRPERM page), and make sure no other profiler (Nsight Compute, DCGM profiling) is attached";
}

namespace {

// What this device's counters can do right now (another profiler may hold some).
CUptiResult counter_availability(CUcontext ctx, std::vector<std::uint8_t>* image) {
  auto avail =
      params<CUpti_Profiler_GetCounterAvailability_Params>(CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE);
  avail.ctx = ctx;
  if (const CUptiResult r = cupti().ProfilerGetCounterAvailability(&avail); r != CUPTI_SUCCESS) return r;
  image->resize(avail.counterAvailabilityImageSize);
  avail.pCounterAvailabilityImage = image->data();
  return cupti().ProfilerGetCounterAvailability(&avail);
}

// A fresh counter data image, and the metrics' configuration for one user range replayed by the caller.
CUptiResult set_range_config(CUpti_RangeProfiler_Object* range, const HostConfig& host,
                             std::vector<std::uint8_t>& counter_data) {
  auto image = params<CUpti_RangeProfiler_CounterDataImage_Initialize_Params>(
      CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE);
  image.pRangeProfilerObject = range;
  image.counterDataSize = counter_data.size();
  image.pCounterData = counter_data.data();
  if (const CUptiResult r = cupti().RangeProfilerCounterDataImageInitialize(&image); r != CUPTI_SUCCESS) return r;
  auto config = params<CUpti_RangeProfiler_SetConfig_Params>(CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE);
  config.pRangeProfilerObject = range;
  config.configSize = host.image.size();
  config.pConfig = host.image.data();
  config.counterDataImageSize = counter_data.size();
  config.pCounterDataImage = counter_data.data();
  config.range = CUPTI_UserRange;
  config.replayMode = CUPTI_UserReplay;
  config.maxRangesPerPass = 1;
  config.numNestingLevels = 1;
  config.minNestingLevel = 1;
  config.passIndex = 0;
  config.targetNestingLevel = 1;
  return cupti().RangeProfilerSetConfig(&config);
}

// One pass per replay the metrics need, each in the cold state the timing used; *all_passes once CUPTI has them all.
CUptiResult replay(CUpti_RangeProfiler_Object* range, const Launch& launch, cudaStream_t stream,
                   const L2Flusher* flusher, bool* all_passes) {
  for (int pass = 0; pass < 64 && !*all_passes; ++pass) {
    if (flusher) flusher->flush(stream);
    BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));
    auto start = params<CUpti_RangeProfiler_Start_Params>(CUpti_RangeProfiler_Start_Params_STRUCT_SIZE);
    start.pRangeProfilerObject = range;
    if (const CUptiResult r = cupti().RangeProfilerStart(&start); r != CUPTI_SUCCESS) return r;
    auto push = params<CUpti_RangeProfiler_PushRange_Params>(CUpti_RangeProfiler_PushRange_Params_STRUCT_SIZE);
    push.pRangeProfilerObject = range;
    push.pRangeName = "point";
    if (const CUptiResult r = cupti().RangeProfilerPushRange(&push); r != CUPTI_SUCCESS) return r;
    launch(stream);
    BENCH_LLAMA_CUDA_CHECK(cudaStreamSynchronize(stream));
    auto pop = params<CUpti_RangeProfiler_PopRange_Params>(CUpti_RangeProfiler_PopRange_Params_STRUCT_SIZE);
    pop.pRangeProfilerObject = range;
    if (const CUptiResult r = cupti().RangeProfilerPopRange(&pop); r != CUPTI_SUCCESS) return r;
    auto stop = params<CUpti_RangeProfiler_Stop_Params>(CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE);
    stop.pRangeProfilerObject = range;
    if (const CUptiResult r = cupti().RangeProfilerStop(&stop); r != CUPTI_SUCCESS) return r;
    *all_passes = stop.isAllPassSubmitted != 0;
  }
  return CUPTI_SUCCESS;
}

// The metrics' values, in counter_metrics()'s order, from the replayed passes.
CUptiResult evaluate(CUpti_RangeProfiler_Object* range, const HostConfig& host, std::vector<std::uint8_t>& counter_data,
                     std::vector<double>* values) {
  auto decode = params<CUpti_RangeProfiler_DecodeData_Params>(CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE);
  decode.pRangeProfilerObject = range;
  if (const CUptiResult r = cupti().RangeProfilerDecodeData(&decode); r != CUPTI_SUCCESS) return r;
  std::vector<const char*> names = counter_metrics();
  values->assign(names.size(), 0.0);
  auto eval = params<CUpti_Profiler_Host_EvaluateToGpuValues_Params>(
      CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE);
  eval.pHostObject = host.host;
  eval.pCounterDataImage = counter_data.data();
  eval.counterDataImageSize = counter_data.size();
  eval.rangeIndex = 0;
  eval.ppMetricNames = names.data();
  eval.numMetrics = names.size();
  eval.pMetricValues = values->data();
  return cupti().ProfilerHostEvaluateToGpuValues(&eval);
}

}  // namespace

struct CounterProfiler::State {
  std::unique_ptr<HostConfig> config;
  CUpti_RangeProfiler_Object* range = nullptr;
  std::vector<std::uint8_t> counter_data;
};

CounterProfiler::CounterProfiler(std::unique_ptr<State> state) : state_(std::move(state)) {}

CounterProfiler::~CounterProfiler() {
  if (state_ && state_->range) {
    auto off = params<CUpti_RangeProfiler_Disable_Params>(CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE);
    off.pRangeProfilerObject = state_->range;
    cupti().RangeProfilerDisable(&off);
  }
}

std::unique_ptr<CounterProfiler> CounterProfiler::create(std::string* why) {
  if (!cupti_api(why)) return nullptr;
  BENCH_LLAMA_CUDA_CHECK(cudaFree(nullptr));  // make sure the context exists
  auto init = params<CUpti_Profiler_Initialize_Params>(CUpti_Profiler_Initialize_Params_STRUCT_SIZE);
  if (const CUptiResult r = cupti().ProfilerInitialize(&init); r != CUPTI_SUCCESS) {
    *why = cupti_text(r);
    return nullptr;
  }
  int device = 0;
  BENCH_LLAMA_CUDA_CHECK(cudaGetDevice(&device));
  auto chip = params<CUpti_Device_GetChipName_Params>(CUpti_Device_GetChipName_Params_STRUCT_SIZE);
  chip.deviceIndex = static_cast<std::size_t>(device);
  if (const CUptiResult r = cupti().DeviceGetChipName(&chip); r != CUPTI_SUCCESS) {
    *why = cupti_text(r);
    return nullptr;
  }
  CUcontext ctx = current_context();
  if (!ctx) {
    *why = "no current CUDA context";
    return nullptr;
  }
  std::vector<std::uint8_t> availability;
  if (const CUptiResult r = counter_availability(ctx, &availability); r != CUPTI_SUCCESS) {
    *why = cupti_text(r);
    return nullptr;
  }
  auto state = std::make_unique<State>();
  state->config = std::make_unique<HostConfig>(chip.pChipName, availability.data());
  if (!state->config->error.empty()) {
    *why = state->config->error;
    return nullptr;
  }
  auto on = params<CUpti_RangeProfiler_Enable_Params>(CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE);
  on.ctx = ctx;
  if (const CUptiResult r = cupti().RangeProfilerEnable(&on); r != CUPTI_SUCCESS) {
    *why = cupti_text(r);
    return nullptr;
  }
  state->range = on.pRangeProfilerObject;
  std::vector<const char*> names = counter_metrics();
  auto size =
      params<CUpti_RangeProfiler_GetCounterDataSize_Params>(CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE);
  size.pRangeProfilerObject = state->range;
  size.pMetricNames = names.data();
  size.numMetrics = names.size();
  size.maxNumOfRanges = 1;
  if (const CUptiResult r = cupti().RangeProfilerGetCounterDataSize(&size); r != CUPTI_SUCCESS) {
    *why = cupti_text(r);
    CounterProfiler disable_on_return(std::move(state));  // its destructor disables the range profiler
    return nullptr;
  }
  state->counter_data.resize(size.counterDataSize);
  return std::unique_ptr<CounterProfiler>(new CounterProfiler(std::move(state)));
}

std::optional<CounterValues> CounterProfiler::measure(const Launch& launch, cudaStream_t stream,
                                                      const L2Flusher* flusher, std::string* why) {
  State& s = *state_;
  if (s.counter_data.empty()) {
    *why = "no counter data image";
    return std::nullopt;
  }
  bool all_passes = false;
  std::vector<double> values;
  CUptiResult r = set_range_config(s.range, *s.config, s.counter_data);
  if (r == CUPTI_SUCCESS) r = replay(s.range, launch, stream, flusher, &all_passes);
  if (r == CUPTI_SUCCESS && !all_passes) {
    *why = "the metrics needed more than 64 replay passes";
    return std::nullopt;
  }
  if (r == CUPTI_SUCCESS) r = evaluate(s.range, *s.config, s.counter_data, &values);
  if (r != CUPTI_SUCCESS) {
    *why = cupti_text(r);
    return std::nullopt;
  }
  return CounterValues{values[0], values[1], values[2], values[3]};
}

}  // namespace bench

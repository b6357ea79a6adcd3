// The CUDA runtime API as emulated code and the programs linked against the emulator see it: the entry points they
// call, answered by the emulator (nothing here reaches a CUDA library; a runtime function this file lacks fails to
// link). Devices are emulated devices (emulator.hpp's DeviceModel, CUDA_EMU_DEVICES of them); memory comes from the
// host, in exact-size allocations counted against the device's memory; streams, events and graphs are streams.hpp's;
// a fault ends a device's context as on a GPU (its error is sticky, and every later call returns it).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emulator/emulator.hpp"
#include "emulator/streams.hpp"

namespace cuda_emu::detail {
namespace {

struct DeviceState {
  std::size_t used = 0;
  std::atomic<cudaError_t> sticky{cudaSuccess};
  double null_clock_ns = 0;
};

struct RuntimeState {
  std::mutex mutex;
  std::map<int, std::unique_ptr<DeviceState>> devices;
  std::map<const void*, std::pair<int, std::size_t>> allocations;  // pointer -> (device, bytes)
};

RuntimeState& runtime() {
  static RuntimeState r;
  return r;
}

thread_local int tls_device = 0;
thread_local cudaError_t tls_last_error = cudaSuccess;

DeviceState& device_state(int device) {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto& d = r.devices[device];
  if (!d) d = std::make_unique<DeviceState>();
  return *d;
}

// Records an error as the last one (cudaGetLastError) and returns it.
cudaError_t fail(cudaError_t error) {
  if (error != cudaSuccess) tls_last_error = error;
  return error;
}

// The sticky error of the current device, recorded, or cudaSuccess: the first check of every call.
cudaError_t dead() { return fail(sticky_error(tls_device)); }

int device_count() { return device().count; }

struct EmuEvent {
  std::mutex mutex;
  std::condition_variable done;
  int pending = 0;  // records enqueued and not yet run
  bool recorded = false;
  double ns = 0;
};

}  // namespace

cudaError_t sticky_error(int device) { return device_state(device).sticky.load(); }
void set_sticky_error(int device, cudaError_t error) {
  cudaError_t expected = cudaSuccess;
  device_state(device).sticky.compare_exchange_strong(expected, error);
}
double null_stream_now_ns(int device) { return device_state(device).null_clock_ns; }
void advance_null_stream(int device, double ns) { device_state(device).null_clock_ns += ns; }
int current_device() { return tls_device; }

void reset_runtime() {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto& [index, d] : r.devices) {
    d->sticky = cudaSuccess;
    d->null_clock_ns = 0;
  }
}

}  // namespace cuda_emu::detail

using cuda_emu::detail::dead;
using cuda_emu::detail::fail;

extern "C" {

// ---- errors -------------------------------------------------------------------------------------------------------

cudaError_t cudaGetLastError() {
  const cudaError_t sticky = cuda_emu::detail::sticky_error(cuda_emu::detail::tls_device);
  const cudaError_t last = std::exchange(cuda_emu::detail::tls_last_error, cudaSuccess);
  return sticky != cudaSuccess ? sticky : last;
}

cudaError_t cudaPeekAtLastError() {
  const cudaError_t sticky = cuda_emu::detail::sticky_error(cuda_emu::detail::tls_device);
  return sticky != cudaSuccess ? sticky : cuda_emu::detail::tls_last_error;
}

// ---- devices ------------------------------------------------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int* count) {
  if (!count) return fail(cudaErrorInvalidValue);
  *count = cuda_emu::detail::device_count();
  return *count > 0 ? cudaSuccess : fail(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= cuda_emu::detail::device_count()) return fail(cudaErrorInvalidDevice);
  cuda_emu::detail::tls_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (!device) return fail(cudaErrorInvalidValue);
  *device = cuda_emu::detail::tls_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (!prop) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= cuda_emu::detail::device_count()) return fail(cudaErrorInvalidDevice);
  const cuda_emu::DeviceModel& d = cuda_emu::device();
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "%s", d.name.c_str());
  for (int i = 0; i < 16; ++i) prop->uuid.bytes[i] = static_cast<char>(0xE0 + (i == 15 ? device : i));
  prop->totalGlobalMem = d.memory_bytes;
  prop->sharedMemPerBlock = d.shared_per_block;
  prop->sharedMemPerBlockOptin = d.shared_per_block_optin;
  prop->sharedMemPerMultiprocessor = d.shared_per_sm;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = d.max_threads_per_block;
  prop->maxThreadsPerMultiProcessor = d.max_threads_per_sm;
  prop->maxBlocksPerMultiProcessor = d.max_blocks_per_sm;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 0x7FFFFFFF;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->major = d.sm / 10;
  prop->minor = d.sm % 10;
  prop->multiProcessorCount = d.sm_count;
  prop->l2CacheSize = static_cast<int>(d.l2_bytes);
  prop->pciBusID = device + 1;
  prop->memoryBusWidth = 64;
  prop->canMapHostMemory = 1;
  prop->unifiedAddressing = 1;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetPCIBusId(char* bus_id, int length, int device) {
  if (!bus_id || length <= 0) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= cuda_emu::detail::device_count()) return fail(cudaErrorInvalidDevice);
  std::snprintf(bus_id, static_cast<std::size_t>(length), "00000000:%02X:00.0", device + 1);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  if (const cudaError_t e = dead()) return e;
  const std::size_t total = cuda_emu::device().memory_bytes;
  const std::size_t used = cuda_emu::detail::device_state(cuda_emu::detail::tls_device).used;
  if (free_bytes) *free_bytes = total > used ? total - used : 0;
  if (total_bytes) *total_bytes = total;
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  if (!version) return fail(cudaErrorInvalidValue);
  *version = CUDART_VERSION;  // the API the emulator stands in for: the headers it was built with
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  if (!version) return fail(cudaErrorInvalidValue);
  *version = CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  if (const cudaError_t e = dead()) return e;
  return cudaSuccess;  // the null stream has nothing pending; other streams are synchronised one by one
}

// No driver behind the emulator: every driver entry point is missing (a caller that needs one refuses its work).
cudaError_t cudaGetDriverEntryPointByVersion(const char* /*symbol*/, void** function, unsigned int /*version*/,
                                             unsigned long long /*flags*/, cudaDriverEntryPointQueryResult* status) {
  if (function) *function = nullptr;
  if (status) *status = cudaDriverEntryPointSymbolNotFound;
  return fail(cudaErrorSymbolNotFound);
}

// ---- memory -------------------------------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  if (!ptr) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  auto& r = cuda_emu::detail::runtime();
  auto& d = cuda_emu::detail::device_state(cuda_emu::detail::tls_device);
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (bytes > cuda_emu::device().memory_bytes - std::min(d.used, cuda_emu::device().memory_bytes)) {
      *ptr = nullptr;
      return fail(cudaErrorMemoryAllocation);
    }
    d.used += bytes;
  }
  *ptr = cuda_emu::malloc_global(bytes);
  if (!*ptr) {
    std::lock_guard<std::mutex> lock(r.mutex);
    d.used -= bytes;
    return fail(cudaErrorMemoryAllocation);
  }
  std::lock_guard<std::mutex> lock(r.mutex);
  r.allocations[*ptr] = {cuda_emu::detail::tls_device, bytes};
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  auto& r = cuda_emu::detail::runtime();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.allocations.find(ptr);
    if (it == r.allocations.end()) return fail(cudaErrorInvalidValue);
    r.devices[it->second.first]->used -= it->second.second;
    r.allocations.erase(it);
  }
  cuda_emu::free_global(ptr);
  return dead();  // freed either way; a dead context still says so
}

// Pinned, mapped host memory: host memory the emulated device reads and writes where it is.
cudaError_t cudaHostAlloc(void** ptr, std::size_t bytes, unsigned int /*flags*/) {
  if (!ptr) return fail(cudaErrorInvalidValue);
  *ptr = std::calloc(bytes ? bytes : 1, 1);
  if (!*ptr) return fail(cudaErrorMemoryAllocation);
  cuda_emu::register_global(*ptr, bytes);
  return cudaSuccess;
}

cudaError_t cudaHostGetDevicePointer(void** device_ptr, void* host, unsigned int /*flags*/) {
  if (!device_ptr || !host) return fail(cudaErrorInvalidValue);
  *device_ptr = host;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  if (!ptr) return cudaSuccess;
  cuda_emu::unregister_global(ptr);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind /*kind*/,
                            cudaStream_t stream) {
  if (const cudaError_t e = dead()) return e;
  return fail(cuda_emu::detail::submit(stream, {[dst, src, bytes](double* ns) {
                                         std::memmove(dst, src, bytes);
                                         *ns = cuda_emu::detail::copy_duration_ns(bytes);
                                         return cudaSuccess;
                                       }}));
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t stream) {
  if (const cudaError_t e = dead()) return e;
  return fail(cuda_emu::detail::submit(stream, {[ptr, value, bytes](double* ns) {
                                         std::memset(ptr, value, bytes);
                                         *ns = cuda_emu::detail::copy_duration_ns(bytes);
                                         return cudaSuccess;
                                       }}));
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) { return cudaMemsetAsync(ptr, value, bytes, nullptr); }

// ---- streams ------------------------------------------------------------------------------------------------------

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int /*flags*/) {
  if (!stream) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  *stream = reinterpret_cast<cudaStream_t>(new cuda_emu::detail::Stream(cuda_emu::detail::tls_device));
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (!stream) return fail(cudaErrorInvalidResourceHandle);
  delete reinterpret_cast<cuda_emu::detail::Stream*>(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  if (stream && stream != cudaStreamLegacy && stream != cudaStreamPerThread) {
    auto* s = reinterpret_cast<cuda_emu::detail::Stream*>(stream);
    if (s->capturing()) return fail(cudaErrorStreamCaptureUnsupported);
    s->synchronize();
  }
  return dead();
}

// ---- events -------------------------------------------------------------------------------------------------------

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  if (!event) return fail(cudaErrorInvalidValue);
  *event = reinterpret_cast<cudaEvent_t>(new cuda_emu::detail::EmuEvent);
  return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int /*flags*/) { return cudaEventCreate(event); }

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete reinterpret_cast<cuda_emu::detail::EmuEvent*>(event);
  return cudaSuccess;
}

// The event takes the stream's emulated clock when the work before it has run.
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  if (const cudaError_t e = dead()) return e;
  auto* ev = reinterpret_cast<cuda_emu::detail::EmuEvent*>(event);
  const bool null_stream = !stream || stream == cudaStreamLegacy || stream == cudaStreamPerThread;
  auto* s = null_stream ? nullptr : reinterpret_cast<cuda_emu::detail::Stream*>(stream);
  const int device = s ? s->device() : cuda_emu::detail::tls_device;
  {
    std::lock_guard<std::mutex> lock(ev->mutex);
    ++ev->pending;
  }
  return fail(cuda_emu::detail::submit(stream, {[ev, s, device](double* ns) {
                                         std::lock_guard<std::mutex> lock(ev->mutex);
                                         ev->ns = s ? s->now_ns() : cuda_emu::detail::null_stream_now_ns(device);
                                         ev->recorded = true;
                                         --ev->pending;
                                         ev->done.notify_all();
                                         *ns = 0;
                                         return cudaSuccess;
                                       }}));
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  auto* ev = reinterpret_cast<cuda_emu::detail::EmuEvent*>(event);
  std::unique_lock<std::mutex> lock(ev->mutex);
  // A dead context never runs the record: the wait ends with the sticky error instead.
  while (ev->pending > 0) {
    if (const cudaError_t e = cuda_emu::detail::sticky_error(cuda_emu::detail::tls_device)) return fail(e);
    ev->done.wait_for(lock, std::chrono::milliseconds(10));
  }
  return dead();
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  auto* ev = reinterpret_cast<cuda_emu::detail::EmuEvent*>(event);
  std::lock_guard<std::mutex> lock(ev->mutex);
  if (const cudaError_t e = dead()) return e;
  return ev->pending > 0 ? cudaErrorNotReady : cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  if (!ms || !start || !stop) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  auto* a = reinterpret_cast<cuda_emu::detail::EmuEvent*>(start);
  auto* b = reinterpret_cast<cuda_emu::detail::EmuEvent*>(stop);
  std::scoped_lock lock(a->mutex, b->mutex);
  if (a->pending > 0 || b->pending > 0) return fail(cudaErrorNotReady);
  if (!a->recorded || !b->recorded) return fail(cudaErrorInvalidResourceHandle);
  *ms = static_cast<float>((b->ns - a->ns) * 1e-6);
  return cudaSuccess;
}

// ---- graphs: a capture records a stream's work instead of running it; a launch runs it again --------------------

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode /*mode*/) {
  if (!stream || stream == cudaStreamLegacy || stream == cudaStreamPerThread) {
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  if (const cudaError_t e = dead()) return e;
  reinterpret_cast<cuda_emu::detail::Stream*>(stream)->begin_capture();
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  if (!stream || !graph) return fail(cudaErrorInvalidValue);
  cuda_emu::detail::Graph* captured = reinterpret_cast<cuda_emu::detail::Stream*>(stream)->end_capture();
  if (!captured) return fail(cudaErrorIllegalState);
  *graph = reinterpret_cast<cudaGraph_t>(captured);
  return dead();
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long /*flags*/) {
  if (!exec || !graph) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  *exec = reinterpret_cast<cudaGraphExec_t>(
      new cuda_emu::detail::Graph(*reinterpret_cast<cuda_emu::detail::Graph*>(graph)));
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  if (!exec) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  for (const auto& work : reinterpret_cast<cuda_emu::detail::Graph*>(exec)->work) {
    if (const cudaError_t e = cuda_emu::detail::submit(stream, work)) return fail(e);
  }
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete reinterpret_cast<cuda_emu::detail::Graph*>(graph);
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete reinterpret_cast<cuda_emu::detail::Graph*>(exec);
  return cudaSuccess;
}

// ---- error names --------------------------------------------------------------------------------------------------

#define CUDA_EMU_ERRORS(X)                                                                 \
  X(cudaSuccess, "no error")                                                               \
  X(cudaErrorInvalidValue, "invalid argument")                                             \
  X(cudaErrorMemoryAllocation, "out of memory")                                            \
  X(cudaErrorInitializationError, "initialization error")                                  \
  X(cudaErrorInvalidConfiguration, "invalid configuration argument")                       \
  X(cudaErrorInvalidDevice, "invalid device ordinal")                                      \
  X(cudaErrorInvalidResourceHandle, "invalid resource handle")                             \
  X(cudaErrorIllegalState, "operation not permitted in the current state")                 \
  X(cudaErrorNoDevice, "no CUDA-capable device is detected")                               \
  X(cudaErrorNotSupported, "operation not supported")                                      \
  X(cudaErrorSymbolNotFound, "named symbol not found")                                     \
  X(cudaErrorIllegalAddress, "an illegal memory access was encountered")                   \
  X(cudaErrorMisalignedAddress, "misaligned address")                                      \
  X(cudaErrorLaunchFailure, "unspecified launch failure")                                  \
  X(cudaErrorLaunchTimeout, "the launch timed out and was terminated")                     \
  X(cudaErrorLaunchOutOfResources, "too many resources requested for launch")              \
  X(cudaErrorAssert, "device-side assert triggered")                                       \
  X(cudaErrorNotReady, "device not ready")                                                 \
  X(cudaErrorStreamCaptureUnsupported, "operation not permitted when stream is capturing") \
  X(cudaErrorUnknown, "unknown error")

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
#define CUDA_EMU_NAME(code, text) \
  case code:                      \
    return #code;
    CUDA_EMU_ERRORS(CUDA_EMU_NAME)
#undef CUDA_EMU_NAME
    default:
      return "cudaErrorUnknown (not named by the emulator)";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
#define CUDA_EMU_TEXT(code, text) \
  case code:                      \
    return text;
    CUDA_EMU_ERRORS(CUDA_EMU_TEXT)
#undef CUDA_EMU_TEXT
    default:
      return "an error the emulator does not describe";
  }
}

}  // extern "C"

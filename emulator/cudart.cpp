// The CUDA runtime API as emulated code and the programs linked against the emulator see it: the entry points they
// call, answered by the emulator (nothing here reaches a CUDA library; a runtime function this file lacks fails to
// link). Devices are emulated devices (emulator.hpp's DeviceModel, CUDA_EMU_DEVICES of them); memory comes from the
// host, in exact-size allocations counted against the device's memory; streams, events and graphs are streams.hpp's;
// a fault ends a device's context as on a GPU (its error is sticky, and every later call returns it). Stream capture
// refuses what its mode forbids (allocations, frees, device-wide synchronisation), and invalidates the capture.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "emulator/emulator.hpp"
#include "emulator/streams.hpp"

namespace cuda_emu::detail {
namespace {

struct DeviceState {
  std::size_t used = 0;  // under RuntimeState::mutex
  std::atomic<cudaError_t> sticky{cudaSuccess};
  std::mutex clock_mutex;
  double clock_ns = 0;  // the device's timeline
};

struct RuntimeState {
  std::mutex mutex;
  std::map<int, std::unique_ptr<DeviceState>> devices;
  std::map<const void*, std::pair<int, std::size_t>> allocations;  // pointer -> (device, bytes)
  // The live streams. A mutex of their own, held while waiting for them: their workers never take it (they take
  // `mutex`, for sticky errors), and a stream is not destroyed while someone waits for it.
  std::mutex streams_mutex;
  std::set<Stream*> streams;
};

// Never destroyed: stream workers that outlive main() (streams the program never destroyed) may still read it.
RuntimeState& runtime() {
  static auto* r = new RuntimeState;
  return *r;
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

// An event. Its handle owns one reference, each queued record another: an event destroyed before its record has run
// is released when the record has (cudaEventDestroy does not wait, as on a GPU).
struct EmuEvent {
  std::mutex mutex;
  std::condition_variable done;
  int pending = 0;        // records queued and not yet run or dropped
  bool recorded = false;  // some record has run
  bool captured = false;  // last recorded in a stream capture: not a time the host may read
  double ns = 0;
};
using EventHandle = std::shared_ptr<EmuEvent>;

EventHandle& event_of(cudaEvent_t event) { return *reinterpret_cast<EventHandle*>(event); }

}  // namespace

cudaError_t sticky_error(int device) { return device_state(device).sticky.load(); }
void set_sticky_error(int device, cudaError_t error) {
  cudaError_t expected = cudaSuccess;
  device_state(device).sticky.compare_exchange_strong(expected, error);
}
double device_now_ns(int device) {
  DeviceState& d = device_state(device);
  std::lock_guard<std::mutex> lock(d.clock_mutex);
  return d.clock_ns;
}
void advance_device_clock(int device, double ns) {
  DeviceState& d = device_state(device);
  std::lock_guard<std::mutex> lock(d.clock_mutex);
  d.clock_ns += ns;
}
int current_device() { return tls_device; }

void register_stream(Stream* stream) {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  r.streams.insert(stream);
}
void unregister_stream(Stream* stream) {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  r.streams.erase(stream);
}

void synchronize_device(int device, bool blocking_only) {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  for (Stream* s : r.streams) {
    if (s->device() == device && (!blocking_only || s->blocking())) s->synchronize();
  }
}

void synchronize_all_devices() {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  for (Stream* s : r.streams) s->synchronize();
}

bool capture_forbids_unsafe_call() {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  bool forbidden = false;
  for (Stream* s : r.streams) forbidden = s->forbids_unsafe_call() || forbidden;  // every such capture invalidated
  return forbidden;
}

bool blocking_capture_under_way(int device) {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  bool under_way = false;
  for (Stream* s : r.streams) {
    if (s->device() == device && s->blocking() && s->capturing()) {
      s->invalidate_capture();  // whatever its mode: the implicit synchronisation is never legal
      under_way = true;
    }
  }
  return under_way;
}

void reset_runtime() {
  RuntimeState& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto& [index, d] : r.devices) {
    d->sticky = cudaSuccess;
    std::lock_guard<std::mutex> clock(d->clock_mutex);
    d->clock_ns = 0;
  }
  tls_last_error = cudaSuccess;
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
  auto& r = cuda_emu::detail::runtime();
  auto& d = cuda_emu::detail::device_state(cuda_emu::detail::tls_device);
  std::size_t used = 0;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    used = d.used;
  }
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
  if (cuda_emu::detail::capture_forbids_unsafe_call()) return fail(cudaErrorStreamCaptureUnsupported);
  cuda_emu::detail::synchronize_device(cuda_emu::detail::tls_device, /*blocking_only=*/false);
  return dead();
}

// No driver behind the emulator: every driver entry point is missing. As the runtime does, the call succeeds and
// says so in *status (a caller that needs the function refuses its work).
cudaError_t cudaGetDriverEntryPointByVersion(const char* symbol, void** function, unsigned int /*version*/,
                                             unsigned long long /*flags*/, cudaDriverEntryPointQueryResult* status) {
  if (!symbol || !function) return fail(cudaErrorInvalidValue);
  *function = nullptr;
  if (status) *status = cudaDriverEntryPointSymbolNotFound;
  return cudaSuccess;
}

// ---- memory -------------------------------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  if (!ptr) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  if (cuda_emu::detail::capture_forbids_unsafe_call()) return fail(cudaErrorStreamCaptureUnsupported);
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

// Waits for the work of every stream first, as the driver's cudaFree does: memory is never freed under work that
// still uses it.
cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  if (cuda_emu::detail::capture_forbids_unsafe_call()) return fail(cudaErrorStreamCaptureUnsupported);
  cuda_emu::detail::synchronize_all_devices();
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
  if (cuda_emu::detail::capture_forbids_unsafe_call()) return fail(cudaErrorStreamCaptureUnsupported);
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
  if (cuda_emu::detail::capture_forbids_unsafe_call()) return fail(cudaErrorStreamCaptureUnsupported);
  cuda_emu::detail::synchronize_all_devices();
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
                                                },
                                                {},
                                                {}}));
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
                                                },
                                                {},
                                                {}}));
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) { return cudaMemsetAsync(ptr, value, bytes, nullptr); }

// ---- streams ------------------------------------------------------------------------------------------------------

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  if (!stream || (flags & ~static_cast<unsigned>(cudaStreamNonBlocking)) != 0) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  *stream = reinterpret_cast<cudaStream_t>(
      new cuda_emu::detail::Stream(cuda_emu::detail::tls_device, (flags & cudaStreamNonBlocking) == 0));
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (cuda_emu::detail::is_null_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
  delete reinterpret_cast<cuda_emu::detail::Stream*>(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  if (cuda_emu::detail::is_null_stream(stream)) {
    const int device = cuda_emu::detail::tls_device;
    if (cuda_emu::detail::blocking_capture_under_way(device)) return fail(cudaErrorStreamCaptureImplicit);
    cuda_emu::detail::synchronize_device(device, /*blocking_only=*/true);
  } else {
    auto* s = reinterpret_cast<cuda_emu::detail::Stream*>(stream);
    if (s->capturing()) {
      s->invalidate_capture();
      return fail(cudaErrorStreamCaptureUnsupported);
    }
    s->synchronize();
  }
  return dead();
}

// ---- events -------------------------------------------------------------------------------------------------------

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  if (!event) return fail(cudaErrorInvalidValue);
  *event =
      reinterpret_cast<cudaEvent_t>(new cuda_emu::detail::EventHandle(std::make_shared<cuda_emu::detail::EmuEvent>()));
  return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int /*flags*/) { return cudaEventCreate(event); }

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  delete reinterpret_cast<cuda_emu::detail::EventHandle*>(event);  // a queued record keeps the event alive
  return cudaSuccess;
}

// The event takes the device's clock when the work queued before it has run. In a stream capture it becomes a no-op
// of the graph (the graph's replays do not record it), and the event is marked captured: its time cannot be read.
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  if (const cudaError_t e = dead()) return e;
  cuda_emu::detail::EventHandle ev = cuda_emu::detail::event_of(event);
  if (!cuda_emu::detail::is_null_stream(stream) && reinterpret_cast<cuda_emu::detail::Stream*>(stream)->capturing()) {
    {
      std::lock_guard<std::mutex> lock(ev->mutex);
      ev->captured = true;
    }
    return fail(cuda_emu::detail::submit(stream, {[](double* ns) {
                                                    *ns = 0;
                                                    return cudaSuccess;
                                                  },
                                                  {},
                                                  {}}));
  }
  const int device = cuda_emu::detail::stream_device(stream);
  cuda_emu::detail::Work record{[ev, device](double* ns) {
                                  std::lock_guard<std::mutex> lock(ev->mutex);
                                  ev->ns = cuda_emu::detail::device_now_ns(device);
                                  ev->recorded = true;
                                  --ev->pending;
                                  ev->done.notify_all();
                                  *ns = 0;
                                  return cudaSuccess;
                                },
                                [ev] {
                                  std::lock_guard<std::mutex> lock(ev->mutex);
                                  ++ev->pending;
                                  ev->captured = false;
                                },
                                [ev] {
                                  std::lock_guard<std::mutex> lock(ev->mutex);
                                  --ev->pending;
                                  ev->done.notify_all();
                                }};
  return fail(cuda_emu::detail::submit(stream, std::move(record)));
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  cuda_emu::detail::EmuEvent& ev = *cuda_emu::detail::event_of(event);
  std::unique_lock<std::mutex> lock(ev.mutex);
  if (ev.captured) return fail(cudaErrorCapturedEvent);
  // A dead context drops the record: the wait then ends with the sticky error.
  while (ev.pending > 0) ev.done.wait_for(lock, std::chrono::milliseconds(10));
  return dead();
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle);
  cuda_emu::detail::EmuEvent& ev = *cuda_emu::detail::event_of(event);
  std::lock_guard<std::mutex> lock(ev.mutex);
  if (const cudaError_t e = dead()) return e;
  if (ev.captured) return fail(cudaErrorCapturedEvent);
  return ev.pending > 0 ? cudaErrorNotReady : cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  if (!ms || !start || !stop) return fail(cudaErrorInvalidValue);
  if (const cudaError_t e = dead()) return e;
  cuda_emu::detail::EmuEvent& a = *cuda_emu::detail::event_of(start);
  cuda_emu::detail::EmuEvent& b = *cuda_emu::detail::event_of(stop);
  std::unique_lock<std::mutex> lock_a(a.mutex, std::defer_lock), lock_b(b.mutex, std::defer_lock);
  if (&a == &b) {
    lock_a.lock();
  } else {
    std::lock(lock_a, lock_b);
  }
  if (a.captured || b.captured) return fail(cudaErrorCapturedEvent);
  if (a.pending > 0 || b.pending > 0) return fail(cudaErrorNotReady);
  if (!a.recorded || !b.recorded) return fail(cudaErrorInvalidResourceHandle);
  *ms = static_cast<float>((b.ns - a.ns) * 1e-6);
  return cudaSuccess;
}

// ---- graphs: a capture records a stream's work instead of running it; a launch queues it again -------------------

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  if (cuda_emu::detail::is_null_stream(stream)) return fail(cudaErrorStreamCaptureUnsupported);
  if (const cudaError_t e = dead()) return e;
  return fail(reinterpret_cast<cuda_emu::detail::Stream*>(stream)->begin_capture(mode));
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  if (!graph) return fail(cudaErrorInvalidValue);
  if (cuda_emu::detail::is_null_stream(stream)) return fail(cudaErrorIllegalState);
  auto* s = reinterpret_cast<cuda_emu::detail::Stream*>(stream);
  if (!s->capturing()) return fail(cudaErrorIllegalState);
  if (!s->may_end_capture()) return fail(cudaErrorStreamCaptureWrongThread);
  std::unique_ptr<cuda_emu::detail::Graph> captured(s->end_capture());
  if (captured->invalidated) {
    *graph = nullptr;
    return fail(cudaErrorStreamCaptureInvalidated);
  }
  *graph = reinterpret_cast<cudaGraph_t>(captured.release());
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

#define CUDA_EMU_ERRORS(X)                                                                                          \
  X(cudaSuccess, "no error")                                                                                        \
  X(cudaErrorInvalidValue, "invalid argument")                                                                      \
  X(cudaErrorMemoryAllocation, "out of memory")                                                                     \
  X(cudaErrorInitializationError, "initialization error")                                                           \
  X(cudaErrorInvalidConfiguration, "invalid configuration argument")                                                \
  X(cudaErrorInvalidDevice, "invalid device ordinal")                                                               \
  X(cudaErrorInvalidResourceHandle, "invalid resource handle")                                                      \
  X(cudaErrorIllegalState, "operation not permitted in the current state")                                          \
  X(cudaErrorNoDevice, "no CUDA-capable device is detected")                                                        \
  X(cudaErrorNotSupported, "operation not supported")                                                               \
  X(cudaErrorSymbolNotFound, "named symbol not found")                                                              \
  X(cudaErrorIllegalAddress, "an illegal memory access was encountered")                                            \
  X(cudaErrorMisalignedAddress, "misaligned address")                                                               \
  X(cudaErrorLaunchFailure, "unspecified launch failure")                                                           \
  X(cudaErrorLaunchTimeout, "the launch timed out and was terminated")                                              \
  X(cudaErrorLaunchOutOfResources, "too many resources requested for launch")                                       \
  X(cudaErrorAssert, "device-side assert triggered")                                                                \
  X(cudaErrorNotReady, "device not ready")                                                                          \
  X(cudaErrorStreamCaptureUnsupported, "operation not permitted when stream is capturing")                          \
  X(cudaErrorStreamCaptureInvalidated, "operation failed due to a previous error during capture")                   \
  X(cudaErrorStreamCaptureImplicit, "operation would make the legacy stream depend on a capturing blocking stream") \
  X(cudaErrorStreamCaptureWrongThread, "attempt to terminate a thread-local capture sequence from another thread")  \
  X(cudaErrorCapturedEvent, "operation not permitted on an event last recorded in a capturing stream")              \
  X(cudaErrorIllegalInstruction, "an illegal instruction was encountered")                                          \
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

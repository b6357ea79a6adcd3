// The emulated CUDA runtime's devices, streams, events and graphs (cudart.cpp, cublas.cpp). A stream is a worker
// thread with a queue: work is enqueued and the host goes on, as with a GPU, so a missing synchronisation shows up as
// it would there. Each device keeps one emulated clock, its timeline, that every piece of work advances by a made-up
// duration that depends on the work's size (never on the host's time): events read that clock, so that a time is a
// function of what ran between two events and nothing else. The legacy null stream runs its work on the calling
// thread, at once, after the device's blocking streams have drained (as the legacy stream waits for them).
#pragma once

#include <cuda_runtime_api.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cuda_emu::detail {

// A piece of work in stream order: `run` runs it (on the stream's worker) and returns its emulated duration in
// nanoseconds, or its error, which ends the device's context as a fault ends a GPU's. `queued` is called when it is
// queued to run (not when a capture records it), `dropped` when a dead context discards it unrun.
struct Work {
  using Callback = std::function<void()>;
  std::function<cudaError_t(double* duration_ns)> run;
  Callback queued, dropped;
};

struct Graph {
  std::vector<Work> work;
  bool invalidated = false;  // a call the capture mode forbids was made while it captured
};

class Stream {
 public:
  Stream(int device, bool blocking);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int device() const { return device_; }
  // A blocking stream (cudaStreamDefault) synchronises with the legacy null stream; a non-blocking one does not.
  bool blocking() const { return blocking_; }
  // Queued after everything queued before it; recorded instead while the stream captures.
  void enqueue(Work work);
  // Waits until every piece of work queued so far has run.
  void synchronize();

  bool capturing() const;
  // cudaErrorIllegalState if the stream already captures.
  cudaError_t begin_capture(cudaStreamCaptureMode mode);
  // The graph captured since begin_capture (nullptr if the stream was not capturing); the capture ends either way.
  Graph* end_capture();
  // Whether a call the capture's mode forbids, made now on this thread, concerns this stream's capture; if so the
  // capture is invalidated (cudaStreamEndCapture then fails, as on a GPU).
  bool forbids_unsafe_call();
  // Invalidates the capture under way, if any.
  void invalidate_capture();
  // Whether a cudaStreamEndCapture from this thread may end the capture (Relaxed mode, or the capturing thread).
  bool may_end_capture() const;

 private:
  void loop();

  int device_;
  bool blocking_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Work> queue_;
  bool busy_ = false, stop_ = false;
  Graph* capture_ = nullptr;
  cudaStreamCaptureMode capture_mode_ = cudaStreamCaptureModeGlobal;
  std::thread::id capture_thread_;
  std::thread worker_;  // last: started once everything above exists
};

// The legacy null stream, however it is named (0, cudaStreamLegacy, cudaStreamPerThread).
bool is_null_stream(cudaStream_t stream);
// The device a stream belongs to (the current device for the null stream).
int stream_device(cudaStream_t stream);
// Runs `work` on `stream` (the null stream: now, on this thread); the error a launch returns at once, if any.
cudaError_t submit(cudaStream_t stream, Work work);

// A device's sticky error: set by the first fault of its work, after which nothing more runs there and every runtime
// call fails with it, as on a GPU whose context a fault has ended.
cudaError_t sticky_error(int device);
void set_sticky_error(int device, cudaError_t error);
// A device's timeline, in nanoseconds: every piece of work on it advances it.
double device_now_ns(int device);
void advance_device_clock(int device, double ns);
int current_device();
// The streams alive on each device (a stream registers itself while it exists).
void register_stream(Stream* stream);
void unregister_stream(Stream* stream);
// Waits for the work of the device's streams (only the blocking ones: the legacy stream's implicit synchronisation).
void synchronize_device(int device, bool blocking_only);
// Waits for the work of every stream of every device (cudaFree: no memory is freed under running work).
void synchronize_all_devices();
// Whether a call that stream capture forbids (an allocation, a free, a device-wide synchronisation) must be refused
// now on this thread: true when a capture in Global mode, or in ThreadLocal mode on this thread, is under way, which
// the call then invalidates.
bool capture_forbids_unsafe_call();
// Whether a blocking stream of the device captures: the legacy stream's implicit synchronisation with it is then
// illegal (cudaErrorStreamCaptureImplicit), and invalidates that capture.
bool blocking_capture_under_way(int device);
// Every device's context alive again, and its clock at zero (cuda_emu::reset()).
void reset_runtime();

// Emulated durations, in nanoseconds. Made up, and said to be: they exist so that a time depends on the shape it was
// measured for and on nothing else (a caller that reports one shape's time for another is then seen). A kernel costs
// a launch overhead plus its threads and their switches; a copy a latency plus its bytes. A cuBLAS product is timed
// on a roofline: kGemmLatencyNs plus the longer of its FLOPs at kGemmFlopsPerNs and the bytes of its three matrices
// at kGemmBytesPerNs. The latency is small against a 128^3 product's work, so no product runs more than about 1 %
// faster per FLOP than that one: a ceiling measured with it is a roof the points do not pass.
inline constexpr double kGemmLatencyNs = 50, kGemmFlopsPerNs = 1000, kGemmBytesPerNs = 200;
double kernel_duration_ns(std::int64_t threads, std::uint64_t switches);
double copy_duration_ns(std::size_t bytes);
double gemm_duration_ns(double flops, double bytes);

}  // namespace cuda_emu::detail

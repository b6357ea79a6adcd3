// The emulated CUDA runtime's devices, streams, events and graphs (cudart.cpp, cublas.cpp). A stream is a worker
// thread with a queue: work is enqueued and the host goes on, as with a GPU, so a missing synchronisation shows up as
// it would there. Each stream keeps an emulated clock that its work advances by a made-up duration that depends on
// the work's size (never on the host's time): events read that clock, so that a time is a function of what ran
// between two events and nothing else. The null stream runs its work on the calling thread, at once.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cuda_emu::detail {

class Stream;
// A piece of work in stream order: runs on the stream's worker, and returns its emulated duration in nanoseconds
// (or its error, which ends the device's context as a fault ends a GPU's).
struct Work {
  std::function<cudaError_t(double* duration_ns)> run;
};

struct Graph {
  std::vector<Work> work;
};

class Stream {
 public:
  explicit Stream(int device);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int device() const { return device_; }
  // Enqueued after everything enqueued before it; captured instead while the stream captures on this host thread.
  void enqueue(Work work);
  // Waits until every piece of work enqueued so far has run.
  void synchronize();
  // The stream's emulated clock, in nanoseconds; only its worker advances it.
  double now_ns() const { return clock_ns_.load(); }

  bool capturing() const;
  void begin_capture();
  // The graph captured since begin_capture, or nullptr if the stream was not capturing.
  Graph* end_capture();

 private:
  void loop();

  int device_;
  std::atomic<double> clock_ns_{0};
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Work> queue_;
  bool busy_ = false, stop_ = false;
  Graph* capture_ = nullptr;
  std::thread::id capture_thread_;
  std::thread worker_;  // last: started once everything above exists
};

// Runs `work` on `stream` (the null stream: now, on this thread); the error a launch returns at once, if any.
cudaError_t submit(cudaStream_t stream, Work work);

// A device's sticky error: set by the first fault of its work, after which nothing more runs there and every runtime
// call fails with it, as on a GPU whose context a fault has ended.
cudaError_t sticky_error(int device);
void set_sticky_error(int device, cudaError_t error);
// The null stream's clock of a device (work on the null stream runs on the calling thread).
double null_stream_now_ns(int device);
void advance_null_stream(int device, double ns);
int current_device();
// Every device's context alive again, and its clocks at zero (cuda_emu::reset()).
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

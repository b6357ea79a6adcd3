#include "emulator/streams.hpp"

#include <algorithm>
#include <utility>

namespace cuda_emu::detail {

Stream::Stream(int device, bool blocking) : device_(device), blocking_(blocking), worker_([this] { loop(); }) {
  register_stream(this);
}

Stream::~Stream() {
  unregister_stream(this);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();  // after the queue has drained: destroying a stream does not discard its work
  delete capture_;
}

void Stream::enqueue(Work work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (capture_) {  // every operation pushed into a capturing stream is captured, whatever the thread
      capture_->work.push_back(std::move(work));
      return;
    }
    if (work.queued) work.queued();
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
}

void Stream::synchronize() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

bool Stream::capturing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return capture_ != nullptr;
}

cudaError_t Stream::begin_capture(cudaStreamCaptureMode mode) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capture_) return cudaErrorIllegalState;
  capture_ = new Graph;
  capture_mode_ = mode;
  capture_thread_ = std::this_thread::get_id();
  return cudaSuccess;
}

Graph* Stream::end_capture() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(capture_, nullptr);
}

bool Stream::forbids_unsafe_call() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!capture_) return false;
  const bool forbids =
      capture_mode_ == cudaStreamCaptureModeGlobal ||
      (capture_mode_ == cudaStreamCaptureModeThreadLocal && capture_thread_ == std::this_thread::get_id());
  if (forbids) capture_->invalidated = true;
  return forbids;
}

void Stream::invalidate_capture() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capture_) capture_->invalidated = true;
}

bool Stream::may_end_capture() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return capture_mode_ == cudaStreamCaptureModeRelaxed || capture_thread_ == std::this_thread::get_id();
}

void Stream::loop() {
  for (;;) {
    Work work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped and drained
      work = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    // After a fault the context is dead: later work does not run (its events never record either, as on a GPU
    // where every later call fails with the fault's error).
    if (sticky_error(device_) == cudaSuccess) {
      double duration = 0;
      const cudaError_t error = work.run(&duration);
      advance_device_clock(device_, duration);
      if (error != cudaSuccess) set_sticky_error(device_, error);
    } else if (work.dropped) {
      work.dropped();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
    }
  }
}

bool is_null_stream(cudaStream_t stream) {
  return stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread;
}

int stream_device(cudaStream_t stream) {
  return is_null_stream(stream) ? current_device() : reinterpret_cast<Stream*>(stream)->device();
}

cudaError_t submit(cudaStream_t stream, Work work) {
  if (is_null_stream(stream)) {
    const int device = current_device();
    if (blocking_capture_under_way(device)) return cudaErrorStreamCaptureImplicit;
    synchronize_device(device, /*blocking_only=*/true);
    if (const cudaError_t sticky = sticky_error(device); sticky != cudaSuccess) return sticky;
    if (work.queued) work.queued();
    double duration = 0;
    const cudaError_t error = work.run(&duration);
    advance_device_clock(device, duration);
    if (error != cudaSuccess) set_sticky_error(device, error);
    return error;
  }
  auto* s = reinterpret_cast<Stream*>(stream);
  if (const cudaError_t sticky = sticky_error(s->device()); sticky != cudaSuccess) return sticky;
  s->enqueue(std::move(work));
  return cudaSuccess;
}

double kernel_duration_ns(std::int64_t threads, std::uint64_t switches) {
  return 2000.0 + static_cast<double>(threads) + 0.5 * static_cast<double>(switches);
}
double copy_duration_ns(std::size_t bytes) { return 200.0 + static_cast<double>(bytes) / 50.0; }
double gemm_duration_ns(double flops, double bytes) {
  return kGemmLatencyNs + std::max(flops / kGemmFlopsPerNs, bytes / kGemmBytesPerNs);
}

}  // namespace cuda_emu::detail

#include "emulator/streams.hpp"

#include <algorithm>

namespace cuda_emu::detail {

Stream::Stream(int device) : device_(device), worker_([this] { loop(); }) {}

Stream::~Stream() {
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
    if (capture_ && std::this_thread::get_id() == capture_thread_) {
      capture_->work.push_back(std::move(work));
      return;
    }
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
}

void Stream::synchronize() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

bool Stream::capturing() const {
  auto* self = const_cast<Stream*>(this);
  std::lock_guard<std::mutex> lock(self->mutex_);
  return capture_ != nullptr;
}

void Stream::begin_capture() {
  std::lock_guard<std::mutex> lock(mutex_);
  capture_ = new Graph;
  capture_thread_ = std::this_thread::get_id();
}

Graph* Stream::end_capture() {
  std::lock_guard<std::mutex> lock(mutex_);
  Graph* graph = capture_;
  capture_ = nullptr;
  return graph;
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
    // After a fault the context is dead: later work does not run (its events never complete either, as on a GPU
    // where every later call fails with the fault's error).
    if (sticky_error(device_) == cudaSuccess) {
      double duration = 0;
      const cudaError_t error = work.run(&duration);
      clock_ns_.store(clock_ns_.load() + duration);
      if (error != cudaSuccess) set_sticky_error(device_, error);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
    }
  }
}

cudaError_t submit(cudaStream_t stream, Work work) {
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) {
    const int device = current_device();
    if (const cudaError_t sticky = sticky_error(device); sticky != cudaSuccess) return sticky;
    double duration = 0;
    const cudaError_t error = work.run(&duration);
    advance_null_stream(device, duration);
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

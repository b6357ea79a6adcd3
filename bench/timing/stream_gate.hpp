// The stream gate: a sample is queued whole before any of it runs, so that its events time the GPU, not the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

namespace bench {

// Holds a stream while a sample is enqueued (kernels::stream_gate), so that the sample's start event, launches and stop
// event are all queued before any of them runs: the events then time the GPU, not the host's launch latency or rate
// (which, for a few-microsecond kernel, is as long as the kernel). If a gate ever waits out its timeout (a host that
// stalls, or a tool such as a profiler that makes launches block), the gate turns itself off for the rest of the run:
// the sample is taken again without it, and later samples are not gated (why() says so).
class StreamGate {
 public:
  explicit StreamGate(std::uint64_t timeout_ns = 1'000'000'000);
  ~StreamGate();
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;
  void hold(cudaStream_t stream);  // enqueues the gate; the stream waits from then on
  void release();                  // lets it go (again harmless)
  bool timed_out() const;          // the last gate gave up waiting (read after the stream synchronized)
  bool enabled() const { return why_.empty(); }
  void disable(const std::string& why) { why_ = why; }
  const std::string& why() const { return why_; }  // empty while enabled

 private:
  int* host_ = nullptr;  // pinned and mapped: [0] the flag, [1] the gate's timed-out mark
  std::uint64_t timeout_ns_;
  std::string why_;
};

}  // namespace bench

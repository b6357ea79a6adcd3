// The emulator's stand-in for the CUDA runtime against the runtime's documented semantics: stream order, the legacy
// stream's synchronisation with blocking streams, a free that waits for the work using the memory, events on one
// device timeline (and destroyed before their record runs), stream capture and what its modes forbid, graph replay,
// and the driver entry point the emulator has none of. The work is copies: a large one takes milliseconds of host
// time, long enough for the host to race ahead of it if an ordering were missing.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "emulator/emulator.hpp"

namespace {

constexpr std::size_t kLarge = std::size_t{64} << 20;  // tens of milliseconds of memmove

class Runtime : public testing::Test {
 protected:
  void SetUp() override { cuda_emu::reset(); }
  void TearDown() override { cuda_emu::reset(); }
};

struct Buffers {
  void* a = nullptr;
  void* b = nullptr;
  Buffers() {
    EXPECT_EQ(cudaMalloc(&a, kLarge), cudaSuccess);
    EXPECT_EQ(cudaMalloc(&b, kLarge), cudaSuccess);
    std::memset(a, 7, kLarge);
    std::memset(b, 0, kLarge);
  }
  ~Buffers() {
    if (a) cudaFree(a);
    if (b) cudaFree(b);
  }
};

unsigned char last_byte(const void* p) { return static_cast<const unsigned char*>(p)[kLarge - 1]; }

TEST_F(Runtime, AStreamRunsItsWorkInOrderAndSynchronizeWaitsForIt) {
  Buffers buf;
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(buf.b, buf.a, kLarge, cudaMemcpyDeviceToDevice, s), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(buf.b, 3, 1, s), cudaSuccess);  // after the copy: the first byte ends as 3
  ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  EXPECT_EQ(static_cast<unsigned char*>(buf.b)[0], 3);
  EXPECT_EQ(last_byte(buf.b), 7);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, DeviceSynchronizeWaitsForEveryStream) {
  Buffers buf;
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(buf.b, buf.a, kLarge, cudaMemcpyDeviceToDevice, s), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(last_byte(buf.b), 7);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, TheLegacyStreamWaitsForBlockingStreamsOnly) {
  Buffers buf;
  std::vector<unsigned char> host(1, 0);
  cudaStream_t blocking;
  ASSERT_EQ(cudaStreamCreate(&blocking), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(buf.b, buf.a, kLarge, cudaMemcpyDeviceToDevice, blocking), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(host.data(), static_cast<char*>(buf.b) + kLarge - 1, 1, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(host[0], 7) << "the legacy stream's copy ran before the blocking stream's";
  EXPECT_EQ(cudaStreamDestroy(blocking), cudaSuccess);
}

TEST_F(Runtime, FreeWaitsForTheWorkQueuedBeforeIt) {
  Buffers buf;
  cudaStream_t s;
  cudaEvent_t done;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&done), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(buf.b, buf.a, kLarge, cudaMemcpyDeviceToDevice, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(done, s), cudaSuccess);
  ASSERT_EQ(cudaFree(buf.a), cudaSuccess);  // the copy still reads it: the free waits
  buf.a = nullptr;
  EXPECT_EQ(cudaEventQuery(done), cudaSuccess) << "cudaFree returned before the work using the memory had run";
  EXPECT_EQ(cudaEventDestroy(done), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, AnEventDestroyedBeforeItsRecordRunsIsReleasedAfterIt) {
  Buffers buf;
  cudaStream_t s;
  cudaEvent_t e;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&e), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(buf.b, buf.a, kLarge, cudaMemcpyDeviceToDevice, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e, s), cudaSuccess);
  ASSERT_EQ(cudaEventDestroy(e), cudaSuccess);  // does not wait, as on a GPU
  EXPECT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, EventsOfTwoStreamsShareTheDevicesTimeline) {
  Buffers buf;
  cudaStream_t first, second;
  cudaEvent_t start, stop;
  ASSERT_EQ(cudaStreamCreateWithFlags(&first, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&second, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&start), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&stop), cudaSuccess);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cudaMemsetAsync(buf.b, 0, 4096, first), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(start, first), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(first), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(buf.b, 0, 4096, second), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(stop, second), cudaSuccess);
  ASSERT_EQ(cudaEventSynchronize(stop), cudaSuccess);
  float ms = -1, same = -1;
  ASSERT_EQ(cudaEventElapsedTime(&ms, start, stop), cudaSuccess);
  EXPECT_GT(ms, 0.0f) << "the second stream's later work ended before the first's";
  ASSERT_EQ(cudaEventElapsedTime(&same, start, start), cudaSuccess);
  EXPECT_EQ(same, 0.0f);
  for (cudaEvent_t e : {start, stop}) EXPECT_EQ(cudaEventDestroy(e), cudaSuccess);
  for (cudaStream_t s : {first, second}) EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, AGraphReplaysItsCapturedWorkInOrderAndTheEventsTimeIt) {
  Buffers buf;
  cudaStream_t s;
  cudaEvent_t start, stop, inside;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  for (cudaEvent_t* e : {&start, &stop, &inside}) ASSERT_EQ(cudaEventCreate(e), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  EXPECT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaErrorIllegalState);
  ASSERT_EQ(cudaMemsetAsync(buf.b, 5, 1 << 20, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(inside, s), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(buf.b, 6, 1, s), cudaSuccess);
  EXPECT_EQ(static_cast<unsigned char*>(buf.b)[0], 0) << "captured work ran";
  cudaGraph_t graph = nullptr;
  ASSERT_EQ(cudaStreamEndCapture(s, &graph), cudaSuccess);
  EXPECT_EQ(cudaEventQuery(inside), cudaErrorCapturedEvent);
  cudaGraphExec_t exec = nullptr;
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(start, s), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(exec, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(stop, s), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(exec, s), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  EXPECT_EQ(static_cast<unsigned char*>(buf.b)[0], 6);
  EXPECT_EQ(static_cast<unsigned char*>(buf.b)[1], 5);
  float once = 0, again = 0;
  ASSERT_EQ(cudaEventElapsedTime(&once, start, stop), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(start, s), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(exec, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(stop, s), cudaSuccess);
  ASSERT_EQ(cudaEventSynchronize(stop), cudaSuccess);
  ASSERT_EQ(cudaEventElapsedTime(&again, start, stop), cudaSuccess);
  EXPECT_GT(once, 0.0f);
  EXPECT_EQ(once, again) << "a replay's emulated time depends on its work only";
  EXPECT_EQ(cudaGraphExecDestroy(exec), cudaSuccess);
  EXPECT_EQ(cudaGraphDestroy(graph), cudaSuccess);
  for (cudaEvent_t e : {start, stop, inside}) EXPECT_EQ(cudaEventDestroy(e), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, AGlobalCaptureRefusesAnAllocationAndIsInvalidated) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 256), cudaErrorStreamCaptureUnsupported);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorStreamCaptureUnsupported);
  cudaGraph_t graph = reinterpret_cast<cudaGraph_t>(&p);
  EXPECT_EQ(cudaStreamEndCapture(s, &graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(graph, nullptr);
  // A relaxed capture allows it.
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&p, 256), cudaSuccess);
  ASSERT_EQ(cudaStreamEndCapture(s, &graph), cudaSuccess);
  EXPECT_EQ(cudaGraphDestroy(graph), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, SynchronizingACapturingStreamInvalidatesItsCapture) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed), cudaSuccess);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorStreamCaptureUnsupported);
  cudaGraph_t graph = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(s, &graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST_F(Runtime, OutOfMemoryIsNotSticky) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, cuda_emu::device().memory_bytes + 1), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaGetLastError(), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&p, 256), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
}

TEST_F(Runtime, TheDriverEntryPointsAreMissingAndSaySo) {
  void* function = &function;
  cudaDriverEntryPointQueryResult status = cudaDriverEntryPointSuccess;
  EXPECT_EQ(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &function, 12000, cudaEnableDefault, &status),
            cudaSuccess);
  EXPECT_EQ(function, nullptr);
  EXPECT_EQ(status, cudaDriverEntryPointSymbolNotFound);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

}  // namespace

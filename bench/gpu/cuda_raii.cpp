#include "bench/gpu/cuda_raii.hpp"

#include "bench/gpu/cublas_api.hpp"

namespace bench {

CublasHandle::CublasHandle(cudaStream_t stream) : workspace_(kCublasWorkspaceBytes) {
  const CublasApi& cublas = cublas_api();
  BENCH_LLAMA_CUBLAS_CHECK(cublas.Create(&handle_));
  BENCH_LLAMA_CUBLAS_CHECK(cublas.SetStream(handle_, stream));  // before the workspace: setting a stream resets it
  BENCH_LLAMA_CUBLAS_CHECK(
      cublas.SetWorkspace(handle_, workspace_.get(), static_cast<std::size_t>(workspace_.bytes())));
}

CublasHandle::~CublasHandle() {
  if (handle_) cublas_api().Destroy(handle_);
}

CudaGraph::CudaGraph(const std::function<void(cudaStream_t)>& launch, int times, cudaStream_t stream) {
  BENCH_LLAMA_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    for (int i = 0; i < times; ++i) launch(stream);
  } catch (...) {  // end the capture, so the stream is usable again, then report the launch's error
    cudaGraph_t broken = nullptr;
    cudaStreamEndCapture(stream, &broken);
    if (broken) cudaGraphDestroy(broken);
    cudaGetLastError();  // the failed capture's error must not be reported by the next launch
    throw;
  }
  if (const cudaError_t status = cudaStreamEndCapture(stream, &graph_); status != cudaSuccess) {
    cudaGetLastError();
    BENCH_LLAMA_CUDA_CHECK(status);
  }
  if (const cudaError_t status = cudaGraphInstantiate(&exec_, graph_, 0); status != cudaSuccess) {
    cudaGraphDestroy(graph_);
    graph_ = nullptr;
    cudaGetLastError();
    BENCH_LLAMA_CUDA_CHECK(status);
  }
}

CudaGraph::~CudaGraph() {
  if (exec_) cudaGraphExecDestroy(exec_);
  if (graph_) cudaGraphDestroy(graph_);
}

void CudaGraph::launch(cudaStream_t stream) const { BENCH_LLAMA_CUDA_CHECK(cudaGraphLaunch(exec_, stream)); }

}  // namespace bench

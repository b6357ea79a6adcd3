#include "bench/sweep/ceilings.hpp"

#include <algorithm>
#include <cstdint>

#include "bench/app/device_kind.hpp"
#include "bench/gpu/cuda_check.hpp"
#include "bench/point/cublas_gemm.hpp"
#include "bench/point/problem_buffers.hpp"
#include "kernels/roofs.cuh"

namespace bench {

// A row of the table: the kind's name (per-dtype kinds get the dtype appended), whether it is measured per dtype,
// who wrote the kernel, the work of one launch on a device, and how it is prepared.
struct CeilingKind {
  std::string (*name)();
  bool per_dtype;
  const char* impl;
  double (*flops)(const DeviceInfo&);
  double (*bytes)(const DeviceInfo&);
  std::unique_ptr<PreparedCeiling> (*prepare)(const Ceiling&, const DeviceInfo&, cudaStream_t, cublasHandle_t);
};

namespace {

// The DRAM ceilings stream far more than L2 holds (at least 8x, and 1 GiB on a GPU), within a quarter of free memory.
double stream_bytes(const DeviceInfo& device) {
  const std::int64_t l2 = std::max<std::int64_t>(device.l2_bytes, 1 << 20);
  return static_cast<double>(std::min<std::int64_t>(std::max<std::int64_t>(8 * l2, kHarnessWork.stream_min_bytes),
                                                    device.free_memory_bytes / 4) /
                             16 * 16);
}
double no_work(const DeviceInfo&) { return 0; }
// The MMA peak loops run four blocks per SM.
int mma_blocks(const DeviceInfo& device) { return device.sm_count * 4; }
double mma_flops(const DeviceInfo& device) {
  return kernels::mma_peak_flops(mma_blocks(device), kHarnessWork.mma_peak_iterations);
}
double mma_rotating_flops(const DeviceInfo& device) {
  return kernels::mma_peak_rotating_flops(mma_blocks(device), kHarnessWork.mma_peak_iterations);
}
double cublas_flops(const DeviceInfo&) {
  const double n = kHarnessWork.cublas_ceiling_size;
  return 2.0 * n * n * n;
}

struct CeilingBuffers : PreparedCeiling {
  DeviceBuffer a, b, sink{4096};
};

std::unique_ptr<PreparedCeiling> prepare_dram_read(const Ceiling& c, const DeviceInfo& device, cudaStream_t stream,
                                                   cublasHandle_t) {
  auto p = std::make_unique<CeilingBuffers>();
  const auto bytes = static_cast<std::int64_t>(c.bytes);
  p->a = DeviceBuffer(bytes);
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(p->a.get(), 1, static_cast<std::size_t>(bytes), stream));
  p->launch = [q = p.get(), bytes, sms = device.sm_count](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(kernels::dram_read(q->a.get(), bytes, q->sink.as<std::uint32_t>(), sms, s));
  };
  return p;
}

// Half the bytes read, half written.
std::unique_ptr<PreparedCeiling> prepare_dram_copy(const Ceiling& c, const DeviceInfo& device, cudaStream_t stream,
                                                   cublasHandle_t) {
  auto p = std::make_unique<CeilingBuffers>();
  p->a = DeviceBuffer(static_cast<std::int64_t>(c.bytes) / 2 / 16 * 16);
  p->b = DeviceBuffer(p->a.bytes());
  BENCH_LLAMA_CUDA_CHECK(cudaMemsetAsync(p->a.get(), 1, static_cast<std::size_t>(p->a.bytes()), stream));
  p->launch = [q = p.get(), sms = device.sm_count](cudaStream_t s) {
    BENCH_LLAMA_CUDA_CHECK(kernels::dram_copy(q->b.get(), q->a.get(), q->a.bytes(), sms, s));
  };
  return p;
}

template <bool kRotating>
std::unique_ptr<PreparedCeiling> prepare_mma(const Ceiling& c, const DeviceInfo& device, cudaStream_t, cublasHandle_t) {
  auto p = std::make_unique<CeilingBuffers>();
  const int blocks = mma_blocks(device);
  p->sink = DeviceBuffer(blocks * kernels::kMmaPeakWarpsPerBlock * sizeof(float));
  p->launch = [q = p.get(), blocks, element = element_of(c.dtype)](cudaStream_t s) {
    const auto peak = kRotating ? kernels::mma_peak_rotating : kernels::mma_peak;
    BENCH_LLAMA_CUDA_CHECK(peak(element, blocks, kHarnessWork.mma_peak_iterations, q->sink.as<float>(), s));
  };
  return p;
}

struct GemmCeiling : PreparedCeiling {
  std::unique_ptr<ProblemBuffers> gemm;
};

std::unique_ptr<PreparedCeiling> prepare_cublas(const Ceiling& c, const DeviceInfo&, cudaStream_t stream,
                                                cublasHandle_t cublas) {
  auto p = std::make_unique<GemmCeiling>();
  roofline::GemmProblem problem;
  const std::int64_t n = kHarnessWork.cublas_ceiling_size;
  problem.m = problem.n = problem.k = n;
  problem.dtype = c.dtype;
  problem.a = problem.b = problem.c = roofline::Operand{n, n, n, 0, 0, 1, 1};
  p->gemm = std::make_unique<ProblemBuffers>(problem, stream, kFillSeed);
  p->launch = [q = p.get(), cublas](cudaStream_t) { cublas_gemm(cublas, *q->gemm); };
  return p;
}

const CeilingKind kCeilingKinds[] = {
    {[] { return std::string("dram_read"); }, false, "hand", no_work, stream_bytes, prepare_dram_read},
    {[] { return std::string("dram_copy"); }, false, "hand", no_work, stream_bytes, prepare_dram_copy},
    {[] { return std::string("mma_sync"); }, true, "hand", mma_flops, no_work, prepare_mma<false>},
    // The same loop with rotated, data-like operands: reported beside it until a GPU run shows which of the two the
    // roof should take; the measured roof is still the best ceiling of the run.
    {[] { return std::string("mma_sync_rotating"); }, true, "hand", mma_rotating_flops, no_work, prepare_mma<true>},
    {[] { return "cublas_gemm_" + std::to_string(kHarnessWork.cublas_ceiling_size); }, true, "cublas", cublas_flops,
     no_work, prepare_cublas},
};

Ceiling ceiling_of(const CeilingKind& kind, roofline::Dtype dtype, const DeviceInfo& device) {
  Ceiling c;
  c.kind = &kind;
  c.name = kind.name() + (kind.per_dtype ? std::string("_") + roofline::dtype_name(dtype) : "");
  c.impl = kind.impl;
  c.dtype = dtype;
  c.flops = kind.flops(device);
  c.bytes = kind.bytes(device);
  return c;
}

}  // namespace

std::vector<Ceiling> ceilings_for(const DeviceInfo& device, const std::vector<roofline::Dtype>& dtypes) {
  std::vector<Ceiling> out;
  for (const CeilingKind& kind : kCeilingKinds) {
    if (!kind.per_dtype) out.push_back(ceiling_of(kind, roofline::Dtype::kF16, device));
  }
  for (roofline::Dtype dtype : dtypes) {
    for (const CeilingKind& kind : kCeilingKinds) {
      if (kind.per_dtype) out.push_back(ceiling_of(kind, dtype, device));
    }
  }
  return out;
}

std::unique_ptr<PreparedCeiling> prepare_ceiling(const Ceiling& ceiling, const DeviceInfo& device, cudaStream_t stream,
                                                 cublasHandle_t cublas) {
  return ceiling.kind->prepare(ceiling, device, stream, cublas);
}

StopRule ceiling_stop_rule() {
  StopRule rule;
  rule.min_samples = 20;
  rule.max_seconds = 1.0;
  return rule;
}

}  // namespace bench

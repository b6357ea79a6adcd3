// The measured ceilings: the roofs every point of a run is judged against, measured before the points and again after
// them (docs/measuring.md). One table (ceilings.cpp) says, for each kind, its name, whether it is measured once per
// dtype, the work of one launch and how it launches; nothing else in bench/ knows the kinds.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/gpu/device_info.hpp"
#include "bench/timing/sampler.hpp"
#include "roofline/problem.hpp"

namespace bench {

struct CeilingKind;

// One ceiling to measure: a kind of the table at a dtype.
struct Ceiling {
  const CeilingKind* kind = nullptr;
  std::string name;  // the row's op: dram_read, mma_sync_fp16, cublas_gemm_8192_bf16, ...
  std::string impl;  // hand (the project's kernels) or cublas
  roofline::Dtype dtype = roofline::Dtype::kF16;
  double flops = 0, bytes = 0;  // the work of one launch
};

// The ceilings of a run on `device` for the sweep's dtypes, in the order they are measured: the DRAM ones once, then
// each per-dtype kind for each dtype.
std::vector<Ceiling> ceilings_for(const DeviceInfo& device, const std::vector<roofline::Dtype>& dtypes);

// A ceiling ready to time: its buffers, and the launch that runs it once.
// The launch points into the object that holds it (its buffers): it stays where prepare_ceiling put it.
struct PreparedCeiling {
  PreparedCeiling() = default;
  PreparedCeiling(const PreparedCeiling&) = delete;
  PreparedCeiling& operator=(const PreparedCeiling&) = delete;
  virtual ~PreparedCeiling() = default;
  Launch launch;
};

// Allocates and fills what the ceiling needs on `stream`; throws CudaError.
std::unique_ptr<PreparedCeiling> prepare_ceiling(const Ceiling& ceiling, const DeviceInfo& device, cudaStream_t stream,
                                                 cublasHandle_t cublas);

// Ceilings: at least 20 samples, and up to a second each to pin the median down (they are the roofs every point is
// judged against); --repetitions does not apply to them.
StopRule ceiling_stop_rule();

}  // namespace bench

#include "kernels/gemm_mma.cuh"
#include "kernels/launch.cuh"
#include "kernels/test_variants.cuh"

namespace kernels {
namespace {

// test_wrong: gemm_mma_64x64 with the last 8 of K left out: a relative error of about sqrt(8 / K) (3.5 % at
// K = 6656), small enough to look plausible, far above any tolerance.
const char* wrong_supports(const GemmArgs& p, int sm) {
  if (p.k < 16) return "needs K >= 16";
  return gemm_mma_64x64_variant().supports(p, sm);
}
cudaError_t wrong_launch(const GemmArgs& p, cudaStream_t stream) {
  GemmArgs shorter = p;
  shorter.k -= 8;
  return gemm_mma_64x64_variant().launch(shorter, stream);
}

// test_fault: a store to an address no allocation has: an illegal-address fault that ends the CUDA context.
__global__ void fault_kernel(int* nowhere) { nowhere[threadIdx.x] = 1; }
cudaError_t fault_launch(const GemmArgs&, cudaStream_t stream) {
  return launch_kernel(fault_kernel, {dim3(1), dim3(32)}, stream,
                       reinterpret_cast<int*>(static_cast<std::uintptr_t>(0x10)));
}

// test_oom: asks for a petabyte of workspace, so the caller's allocation fails before any launch.
std::size_t oom_workspace(const GemmArgs&) { return std::size_t{1} << 50; }
cudaError_t never_launched(const GemmArgs&, cudaStream_t) { return cudaErrorInvalidValue; }

const char* any_problem(const GemmArgs&, int) { return ""; }
bool never_picked(const GemmArgs&) { return false; }
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

const std::vector<GemmVariant>& test_gemm_variants() {
  static const std::vector<GemmVariant> variants = {
      {"test_wrong", 80, 0, wrong_supports, wrong_launch, never_picked, no_workspace},
      {"test_fault", 80, 0, any_problem, fault_launch, never_picked, no_workspace},
      {"test_oom", 80, 0, any_problem, never_launched, never_picked, oom_workspace},
  };
  return variants;
}

}  // namespace kernels

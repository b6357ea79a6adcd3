// The Hopper path for the prefill GEMMs: TMA + wgmma, sm_90a only.
#pragma once

#include "kernels/gemm_args.cuh"

namespace kernels {

GemmVariant gemm_wgmma_128x128_variant();

}  // namespace kernels

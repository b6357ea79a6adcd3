// Where a hand-written kernel should land, predicted without running it: which variant `hand` takes for a problem on a
// GPU, the launch geometry and waves it makes there, the global memory it requests and an estimate of what reaches
// DRAM, and from these a predicted time. The predicted achieved point stands beside the roofline's bound, never in
// its place: the bound says what no kernel can beat, this says what ours should reach. Plain C++ (no CUDA); the
// model describes the kernels of kernels/ from outside, and tests hold the two together: its load requests and
// footprints equal the emulator's counts at every emulated shape, its choice of variant equals the kernels' own table
// on sm_8x, its registers are the build's. docs/kernel_model.md says what it models and what it leaves out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "roofline/machine_spec.hpp"
#include "roofline/problem.hpp"

namespace roofline {

// The constants of the time model, each with its source: one place, so that a measured run can replace them.
struct ModelConstants {
  // Fixed cost of one kernel launch inside a captured batch of launches (bench_llama times graphs of back-to-back
  // launches): assumed 2 us, the order of the per-launch costs NVIDIA's "Getting Started with CUDA Graphs" (2019)
  // reports; scripts/prediction_error.py shows what a measured run makes of it.
  double launch_s = 2e-6;
  // Fraction of the datasheet DRAM bandwidth a streaming kernel reaches: 0.90, the best any kernel reached on an A100
  // in the measurements cited by the NVIDIA forum thread "Trouble to reach peak bandwidth of A100" (2025: 88 % with
  // ncu, "around 90 %" in a GTC talk). The runbook's ceiling measures it per GPU.
  double dram_fraction = 0.90;
  // Fraction of the datasheet tensor peak an instruction family sustains in a kernel's main loop: 1 for mma.sync on
  // sm_8x and for wgmma on sm_90 (the datasheet peaks are theirs). mma.sync on sm_90 is not modeled (no source the
  // model trusts for its rate), and neither is wgmma.
  double tensor_fraction = 1.0;
};

// What limits the blocks resident on one multiprocessor. registers 0: registers do not limit residency.
struct ResidencyLimits {
  int threads = 0, blocks = 0, shared_bytes = 0, registers = 0, reserved_shared_per_block = 0;
};

// What the model needs of a GPU: its architecture's limits and its datasheet roofs.
struct GpuTarget {
  int sm = 0;        // compute capability, major * 10 + minor
  int sm_count = 0;  // multiprocessors
  double l2_bytes = 0;
  double dram_bytes_per_s = 0;  // datasheet
  double tensor_flops = 0;      // dense datasheet peak of the dtype
  // Residency limits other than the architecture's (the CPU emulator's device model has its own, and no register
  // file); empty: the architecture's.
  std::optional<ResidencyLimits> limits;
};
GpuTarget gpu_target(const MachineSpec& spec, Dtype dtype);

// Blocks of one kernel resident per multiprocessor, from its threads, registers per thread and shared memory (static
// and dynamic) and the architecture's limits (CUDA C++ Programming Guide, "Technical Specifications per Compute
// Capability" and the occupancy rules behind cudaOccupancyMaxActiveBlocksPerMultiprocessor); 0 if it cannot run.
int resident_blocks(int sm, int threads, int registers, int shared_bytes);

// One kernel launch of a variant.
struct KernelLaunch {
  std::string kernel;
  std::int64_t blocks = 0;
  int threads = 0;
  int registers = 0;  // per thread, from the build's resource usage (kernel_model.cpp says which)
  int shared_bytes = 0;
};

// A variant at one problem on one GPU. Byte counts are of the whole launch (every kernel, every (batch, head)).
struct KernelPlan {
  std::string variant;
  std::vector<KernelLaunch> launches;
  // The main launch's residency and waves: slots = SMs x blocks per SM; waves = ceil(blocks / slots); efficiency =
  // blocks / (waves x slots), the share of the last wave's slots that are busy, averaged over the waves.
  int blocks_per_sm = 0;
  std::int64_t waves = 0;
  double wave_efficiency = 0;
  // Global loads, request by request, in 32-byte sectors: the requests that reach L2 (what the emulator counts).
  std::int64_t load_sector_bytes = 0;
  // Stores at the width the build's SASS issues them (the emulator counts host widths: docs/kernel_traffic.md).
  std::int64_t store_sector_bytes = 0;
  // Distinct bytes touched, read and written counted apart (a workspace written and read back counts twice): what
  // DRAM moves with a cache that never evicts.
  std::int64_t footprint_bytes = 0;
  // The estimate of DRAM traffic: the footprint, or for the tile GEMMs whose operands do not fit in L2, the bytes each
  // wave of tiles touches (docs/kernel_model.md).
  double dram_bytes = 0;
  // Work of the instruction family: tensor-core FLOPs with every tile padded to the instruction's and the block's
  // shape; 0 for kernels whose arithmetic is on the CUDA cores (not modeled: far below their memory time).
  double tensor_flops = 0;
};

struct Prediction {
  std::string variant;  // what `hand` takes on this GPU
  std::string reason;   // why there is no prediction, when there is none (variant may still be named)
  bool modeled = false;
  KernelPlan plan;
  double launch_s = 0, compute_s = 0, dram_s = 0, time_s = 0;
  std::string bound;  // launch, compute or dram: the largest term
};

// The variant `hand` takes for `problem` on a GPU of compute capability `sm` with `sm_count` multiprocessors: the
// mirror of kernels/variants.cu's table (every row's rank, supports and suits); empty when none does (before sm_80).
// `allowed`, when given, is --allow-variants: `hand` takes only the variants it names; `left_out`, when given, receives
// those it would have taken without it.
std::string hand_variant(const GemmProblem& problem, int sm, int sm_count,
                         const std::vector<std::string>* allowed = nullptr,
                         std::vector<std::string>* left_out = nullptr);

// The plan of a modeled variant; throws std::invalid_argument for a variant the model does not describe.
KernelPlan plan_variant(const std::string& variant, const GemmProblem& problem, const GpuTarget& gpu);

// The variants the model describes, in the table's order.
const std::vector<std::string>& modeled_variants();

// `hand`'s variant for the problem on the GPU (among `allowed`, when given) and its predicted time.
Prediction predict_hand(const GemmProblem& problem, const GpuTarget& gpu, const ModelConstants& constants = {},
                        const std::vector<std::string>* allowed = nullptr);

}  // namespace roofline

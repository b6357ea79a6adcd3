// Datasheet ceilings of the GPUs bench_llama knows, each number with its source.
// Measured ceilings come from bench/ at run time and stand beside these; neither replaces the other.
#pragma once

#include <string>
#include <vector>

#include "roofline/problem.hpp"
#include "roofline/roofline_math.hpp"

namespace roofline {

struct MachineSpec {
  const char* short_name;                 // "a40": what --spec takes
  std::vector<const char*> driver_names;  // what cudaGetDeviceProperties / NVML report, e.g. "NVIDIA A40"
  int sm_major;
  int sm_minor;
  double dram_gbps;    // DRAM bandwidth, GB/s (1e9 bytes/s)
  double fp16_tflops;  // dense fp16 tensor-core FLOP/s with fp32 accumulation, in 1e12
  double bf16_tflops;  // dense bf16 tensor-core FLOP/s with fp32 accumulation, in 1e12
  int sm_count;
  double l2_mib;  // 0 where the vendor publishes none (the run reads it from the device)
  double memory_gib;
  // Dense fp16 tensor FLOP per clock per SM (fp32 accumulation): peak = SMs * this * clock. It is the datasheet peak
  // divided by SMs and the clock the datasheet assumes; 0 where that clock is not published.
  double tensor_flop_per_clk_per_sm;
  const char* source;

  double peak_tflops(Dtype dtype) const { return dtype == Dtype::kF16 ? fp16_tflops : bf16_tflops; }
  Roof roof(Dtype dtype) const { return Roof{peak_tflops(dtype) * 1e12, dram_gbps * 1e9}; }
};

const std::vector<MachineSpec>& machine_specs();

// By short name or driver name, case-insensitive; nullptr when unknown.
const MachineSpec* find_machine_spec(const std::string& name);

std::string machine_spec_names();  // "a40, a100-pcie-40gb, ..." for messages

}  // namespace roofline

// What a run records about its device (the run columns of every row, and env.json).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench/gpu/nvml.hpp"
#include "roofline/schema.hpp"

namespace bench {

struct DeviceInfo {
  int index = 0;
  std::string name;
  std::string uuid;        // "GPU-xxxxxxxx-..."
  std::string pci_bus_id;  // "0000:3B:00.0"
  int cc_major = 0;
  int cc_minor = 0;
  int sm_count = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t free_memory_bytes = 0;
  int l2_bytes = 0;
  std::optional<double> max_sm_clock_mhz, max_mem_clock_mhz, power_limit_w;
  std::optional<bool> ecc;
  Telemetry at_start;
  std::string driver_version;  // NVML, else /proc/driver/nvidia/version
  std::string cuda_runtime_version;
  std::string cuda_driver_version;
  std::string cublas_version;
  void* nvml_device = nullptr;  // NVML's handle, for telemetry during the run (nullptr without NVML)
};

// Selects the device (cudaSetDevice) and gathers everything about it. Throws CudaError.
DeviceInfo query_device(int index, const Nvml& nvml);

// "13.0" from 13000 (CUDA's encoding of versions).
std::string cuda_version_text(int version);

// Fills the run columns that come from the device.
void apply_device(const DeviceInfo& device, roofline::RunInfo& run);

nlohmann::json device_json(const DeviceInfo& device);

}  // namespace bench

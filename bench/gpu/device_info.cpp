#include "bench/gpu/device_info.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/gpu/cublas_api.hpp"
#include "bench/gpu/cuda_check.hpp"

namespace bench {
namespace {

std::string uuid_text(const cudaUUID_t& uuid) {
  const auto* b = reinterpret_cast<const unsigned char*>(uuid.bytes);
  char text[64];
  std::snprintf(text, sizeof text, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return text;
}

std::string proc_driver_version() {
  std::ifstream in("/proc/driver/nvidia/version");
  std::stringstream text;
  text << in.rdbuf();
  return parse_proc_driver_version(text.str());
}

template <class T>
nlohmann::json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

DeviceInfo query_device(int index, const Nvml& nvml) {
  DeviceInfo d;
  d.index = index;
  BENCH_LLAMA_CUDA_CHECK(cudaSetDevice(index));
  cudaDeviceProp prop{};
  BENCH_LLAMA_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  d.name = prop.name;
  d.uuid = uuid_text(prop.uuid);
  char bus_id[32] = {};
  BENCH_LLAMA_CUDA_CHECK(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, index));
  d.pci_bus_id = bus_id;
  d.cc_major = prop.major;
  d.cc_minor = prop.minor;
  d.sm_count = prop.multiProcessorCount;
  d.l2_bytes = prop.l2CacheSize;
  std::size_t free_bytes = 0, total_bytes = 0;
  BENCH_LLAMA_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  d.memory_bytes = static_cast<std::int64_t>(total_bytes);
  d.free_memory_bytes = static_cast<std::int64_t>(free_bytes);
  int runtime = 0, driver = 0;
  BENCH_LLAMA_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  BENCH_LLAMA_CUDA_CHECK(cudaDriverGetVersion(&driver));
  d.cuda_runtime_version = cuda_version_text(runtime);
  d.cuda_driver_version = cuda_version_text(driver);
  int major = 0, minor = 0, patch = 0;
  const CublasApi& cublas = cublas_api();  // loaded here, so a run without cuBLAS stops before it writes anything
  cublas.GetProperty(MAJOR_VERSION, &major);
  cublas.GetProperty(MINOR_VERSION, &minor);
  cublas.GetProperty(PATCH_LEVEL, &patch);
  d.cublas_version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  d.driver_version = nvml.available() ? nvml.driver_version() : "";
  if (d.driver_version.empty()) d.driver_version = proc_driver_version();
  d.nvml_device = nvml.device_by_pci_bus_id(d.pci_bus_id);
  d.max_sm_clock_mhz = nvml.max_sm_clock_mhz(d.nvml_device);
  d.max_mem_clock_mhz = nvml.max_mem_clock_mhz(d.nvml_device);
  d.power_limit_w = nvml.power_limit_w(d.nvml_device);
  d.ecc = nvml.ecc_enabled(d.nvml_device);
  d.at_start = nvml.read(d.nvml_device);
  return d;
}

void apply_device(const DeviceInfo& d, roofline::RunInfo& run) {
  run.gpu_index = d.index;
  run.gpu_name = d.name;
  run.gpu_uuid = d.uuid;
  run.cc = std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
  run.sm_count = d.sm_count;
  run.driver_version = d.driver_version;
  run.cuda_runtime_version = d.cuda_runtime_version;
  run.cuda_driver_version = d.cuda_driver_version;
  run.cublas_version = d.cublas_version;
}

nlohmann::json device_json(const DeviceInfo& d) {
  nlohmann::json j;
  j["index"] = d.index;
  j["name"] = d.name;
  j["uuid"] = d.uuid;
  j["pci_bus_id"] = d.pci_bus_id;
  j["compute_capability"] = std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
  j["sm_count"] = d.sm_count;
  j["memory_bytes"] = d.memory_bytes;
  j["free_memory_bytes_at_start"] = d.free_memory_bytes;
  j["l2_bytes"] = d.l2_bytes;
  j["max_sm_clock_mhz"] = optional_json(d.max_sm_clock_mhz);
  j["max_mem_clock_mhz"] = optional_json(d.max_mem_clock_mhz);
  j["power_limit_w"] = optional_json(d.power_limit_w);
  j["ecc_enabled"] = optional_json(d.ecc);
  j["sm_clock_mhz_at_start"] = optional_json(d.at_start.sm_clock_mhz);
  j["mem_clock_mhz_at_start"] = optional_json(d.at_start.mem_clock_mhz);
  j["temperature_c_at_start"] = optional_json(d.at_start.temperature_c);
  j["power_w_at_start"] = optional_json(d.at_start.power_w);
  j["driver_version"] = d.driver_version;
  j["cuda_runtime_version"] = d.cuda_runtime_version;
  j["cuda_driver_version"] = d.cuda_driver_version;
  j["cublas_version"] = d.cublas_version;
  return j;
}

}  // namespace bench

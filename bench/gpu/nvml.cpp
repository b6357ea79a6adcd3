#include "bench/gpu/nvml.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <regex>

#include "bench/timing/stats.hpp"

namespace bench {
namespace {

// The parts of nvml.h bench_llama needs, restated (NVML's ABI is stable; these names and values are public).
using nvmlReturn_t = int;
using nvmlDevice_t = void*;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;
constexpr int kNvmlClockMem = 2;
constexpr int kNvmlTemperatureGpu = 0;
constexpr int kNvmlPerfPolicyPower = 0;
constexpr int kNvmlPerfPolicyThermal = 1;
struct NvmlViolationTime {
  unsigned long long reference_time;  // CPU timestamp, us
  unsigned long long violation_time;  // ns
};

struct Reason {
  std::uint64_t bit;
  const char* name;
};
constexpr Reason kReasons[] = {
    {0x1, "gpu_idle"},
    {0x2, "applications_clocks_setting"},
    {0x4, "sw_power_cap"},
    {0x8, "hw_slowdown"},
    {0x10, "sync_boost"},
    {0x20, "sw_thermal_slowdown"},
    {0x40, "hw_thermal_slowdown"},
    {0x80, "hw_power_brake_slowdown"},
    {0x100, "display_clock_setting"},
};

}  // namespace

struct Nvml::Api {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  nvmlReturn_t (*system_driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*by_pci_bus_id)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*clock_info)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*max_clock_info)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*power_usage)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*throttle_reasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*ecc_mode)(nvmlDevice_t, int*, int*) = nullptr;
  // Optional: older drivers or GPUs lack them, and the columns they feed stay empty.
  nvmlReturn_t (*total_energy)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*violation_status)(nvmlDevice_t, int, NvmlViolationTime*) = nullptr;
};

std::vector<std::string> throttle_reason_names(std::uint64_t mask) {
  std::vector<std::string> names;
  for (const auto& r : kReasons) {
    if (mask & r.bit) names.emplace_back(r.name);
  }
  std::uint64_t known = 0;
  for (const auto& r : kReasons) known |= r.bit;
  if (mask & ~known) names.emplace_back("other");
  return names;
}

bool is_throttled(std::uint64_t mask) { return (mask & ~std::uint64_t{0x1 | 0x2}) != 0; }

IntervalTelemetry interval_telemetry(const Telemetry& before, const Telemetry& after) {
  IntervalTelemetry out;
  const double seconds = after.host_seconds - before.host_seconds;
  if (!(seconds >= kMinTelemetryInterval)) return out;
  if (before.energy_mj && after.energy_mj && *after.energy_mj > *before.energy_mj) {
    out.power_w_mean = static_cast<double>(*after.energy_mj - *before.energy_mj) / 1e3 / seconds;
  }
  // Violation time over the driver's timestamps of the two values (not the host's clock: the counter is sampled by the
  // driver, and its time is what the violation time accumulated over).
  const auto fraction = [](const std::optional<std::uint64_t>& a, const std::optional<std::uint64_t>& b,
                           const std::optional<std::uint64_t>& a_us, const std::optional<std::uint64_t>& b_us) {
    std::optional<double> f;
    if (a && b && a_us && b_us && *b >= *a && *b_us > *a_us) {
      f = std::min(1.0, static_cast<double>(*b - *a) / 1e3 / static_cast<double>(*b_us - *a_us));
    }
    return f;
  };
  out.power_capped_fraction =
      fraction(before.power_capped_ns, after.power_capped_ns, before.power_capped_at_us, after.power_capped_at_us);
  out.thermal_capped_fraction = fraction(before.thermal_capped_ns, after.thermal_capped_ns, before.thermal_capped_at_us,
                                         after.thermal_capped_at_us);
  return out;
}

std::string parse_proc_driver_version(const std::string& text) {
  static const std::regex version(R"(Kernel Module\s+(?:for\s+\S+\s+)?([0-9]+\.[0-9]+(?:\.[0-9]+)?))");
  std::smatch match;
  return std::regex_search(text, match, version) ? match[1].str() : std::string();
}

Nvml::Nvml() : api_(std::make_unique<Api>()) {
  lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib_) {
    why_ = "libnvidia-ml.so.1 not found (NVIDIA driver not installed or not on the library path)";
    return;
  }
  auto bind = [this](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib_, name));
    return fn != nullptr;
  };
  const bool ok =
      bind(api_->init, "nvmlInit_v2") && bind(api_->shutdown, "nvmlShutdown") &&
      bind(api_->system_driver_version, "nvmlSystemGetDriverVersion") &&
      bind(api_->by_pci_bus_id, "nvmlDeviceGetHandleByPciBusId_v2") &&
      bind(api_->clock_info, "nvmlDeviceGetClockInfo") && bind(api_->max_clock_info, "nvmlDeviceGetMaxClockInfo") &&
      bind(api_->temperature, "nvmlDeviceGetTemperature") && bind(api_->power_usage, "nvmlDeviceGetPowerUsage") &&
      bind(api_->power_limit, "nvmlDeviceGetEnforcedPowerLimit") && bind(api_->ecc_mode, "nvmlDeviceGetEccMode");
  // Renamed in newer drivers; either name has the same signature.
  if (!bind(api_->throttle_reasons, "nvmlDeviceGetCurrentClocksEventReasons")) {
    bind(api_->throttle_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
  }
  bind(api_->total_energy, "nvmlDeviceGetTotalEnergyConsumption");
  bind(api_->violation_status, "nvmlDeviceGetViolationStatus");
  if (!ok || api_->init() != kNvmlSuccess) {
    why_ = ok ? "nvmlInit failed" : "libnvidia-ml.so.1 lacks a function bench_llama needs";
    dlclose(lib_);
    lib_ = nullptr;
  }
}

Nvml::~Nvml() {
  if (lib_) {
    api_->shutdown();
    dlclose(lib_);
  }
}

std::string Nvml::driver_version() const {
  char buffer[96] = {};
  if (!lib_ || api_->system_driver_version(buffer, sizeof buffer) != kNvmlSuccess) return "";
  return buffer;
}

void* Nvml::device_by_pci_bus_id(const std::string& bus_id) const {
  nvmlDevice_t device = nullptr;
  if (!lib_ || api_->by_pci_bus_id(bus_id.c_str(), &device) != kNvmlSuccess) return nullptr;
  return device;
}

Telemetry Nvml::read(void* device) const {
  Telemetry t;
  if (!lib_ || !device) return t;
  unsigned value = 0;
  if (api_->clock_info(device, kNvmlClockSm, &value) == kNvmlSuccess) t.sm_clock_mhz = value;
  if (api_->clock_info(device, kNvmlClockMem, &value) == kNvmlSuccess) t.mem_clock_mhz = value;
  if (api_->temperature(device, kNvmlTemperatureGpu, &value) == kNvmlSuccess) t.temperature_c = value;
  if (api_->power_usage(device, &value) == kNvmlSuccess) t.power_w = value / 1000.0;
  unsigned long long reasons = 0;
  if (api_->throttle_reasons && api_->throttle_reasons(device, &reasons) == kNvmlSuccess) t.throttle_reasons = reasons;
  unsigned long long energy = 0;
  if (api_->total_energy && api_->total_energy(device, &energy) == kNvmlSuccess) t.energy_mj = energy;
  NvmlViolationTime violation{};
  if (api_->violation_status && api_->violation_status(device, kNvmlPerfPolicyPower, &violation) == kNvmlSuccess) {
    t.power_capped_ns = violation.violation_time;
    t.power_capped_at_us = violation.reference_time;
  }
  if (api_->violation_status && api_->violation_status(device, kNvmlPerfPolicyThermal, &violation) == kNvmlSuccess) {
    t.thermal_capped_ns = violation.violation_time;
    t.thermal_capped_at_us = violation.reference_time;
  }
  t.host_seconds = steady_seconds();
  return t;
}

std::optional<double> Nvml::max_sm_clock_mhz(void* device) const {
  unsigned value = 0;
  if (!lib_ || !device || api_->max_clock_info(device, kNvmlClockSm, &value) != kNvmlSuccess) return std::nullopt;
  return value;
}

std::optional<double> Nvml::max_mem_clock_mhz(void* device) const {
  unsigned value = 0;
  if (!lib_ || !device || api_->max_clock_info(device, kNvmlClockMem, &value) != kNvmlSuccess) return std::nullopt;
  return value;
}

std::optional<double> Nvml::power_limit_w(void* device) const {
  unsigned value = 0;
  if (!lib_ || !device || api_->power_limit(device, &value) != kNvmlSuccess) return std::nullopt;
  return value / 1000.0;
}

std::optional<bool> Nvml::ecc_enabled(void* device) const {
  int current = 0, pending = 0;
  if (!lib_ || !device || api_->ecc_mode(device, &current, &pending) != kNvmlSuccess) return std::nullopt;
  return current != 0;
}

}  // namespace bench

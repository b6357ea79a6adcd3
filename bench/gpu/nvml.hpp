// NVML, loaded at run time with dlopen: the build needs no NVML header or library, and a machine without NVML
// still measures (telemetry columns stay empty). Only the handful of calls bench_llama uses are bound.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bench {

// One reading of a device's clocks and health.
struct Telemetry {
  std::optional<double> sm_clock_mhz;
  std::optional<double> mem_clock_mhz;
  std::optional<double> temperature_c;
  std::optional<double> power_w;
  std::optional<std::uint64_t> throttle_reasons;  // NVML clocks-event reason bit mask
  // Counters that accumulate, so two readings give what happened between them (interval_telemetry):
  std::optional<std::uint64_t> energy_mj;             // energy since the driver loaded (Volta and later)
  std::optional<std::uint64_t> power_capped_ns;       // time the clocks were held down by the power cap
  std::optional<std::uint64_t> thermal_capped_ns;     // ... by a thermal limit
  std::optional<std::uint64_t> power_capped_at_us;    // the driver's timestamp of power_capped_ns
  std::optional<std::uint64_t> thermal_capped_at_us;  // ... of thermal_capped_ns
  double host_seconds = 0;                            // when it was read (steady clock)
};

// What two readings say about the interval between them: mean board power from the energy counter, and the fraction
// of the interval the clocks were held down by power or by temperature (NVML's violation counters, each over the
// driver's own timestamps of them). Empty where a
// counter is missing or did not advance, or the interval is shorter than kMinTelemetryInterval: the driver updates
// these counters every few tens of milliseconds, so a shorter interval would read mostly quantization.
struct IntervalTelemetry {
  std::optional<double> power_w_mean, power_capped_fraction, thermal_capped_fraction;
};
inline constexpr double kMinTelemetryInterval = 0.1;  // seconds
IntervalTelemetry interval_telemetry(const Telemetry& before, const Telemetry& after);

// Names of the set bits of an NVML throttle (clocks event) reason mask, e.g. {"sw_power_cap"}.
std::vector<std::string> throttle_reason_names(std::uint64_t mask);
// Throttled: any reason other than idle (the GPU waiting for work) and the application clock setting.
bool is_throttled(std::uint64_t mask);

// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  ..." -> "580.159.04"; "" if not found.
std::string parse_proc_driver_version(const std::string& text);

class Nvml {
 public:
  // Loads libnvidia-ml.so.1 and initialises NVML; on failure available() is false and why() says why.
  Nvml();
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  bool available() const { return lib_ != nullptr; }
  const std::string& why() const { return why_; }

  std::string driver_version() const;
  // The device with this PCI bus id ("0000:3B:00.0", as cudaDeviceGetPCIBusId writes it); nullptr if none.
  void* device_by_pci_bus_id(const std::string& bus_id) const;
  Telemetry read(void* device) const;
  std::optional<double> max_sm_clock_mhz(void* device) const;
  std::optional<double> max_mem_clock_mhz(void* device) const;
  std::optional<double> power_limit_w(void* device) const;
  std::optional<bool> ecc_enabled(void* device) const;

 private:
  struct Api;
  void* lib_ = nullptr;
  std::unique_ptr<Api> api_;
  std::string why_;
};

}  // namespace bench

// The CSV output contract (DESIGN.md section 5): one row per (operator, setting, implementation) plus the measured
// ceilings. The column table below is the only place a column is defined: its name, unit, meaning and how its cell is
// made. docs/csv_columns.md documents the same table and a test keeps the two in step.
// The schema is only ever extended: new columns go at the end, and nothing is renamed or removed. Version 2 added
// `candidates` with the medusa phase (a phase version-1 readers do not know); a version-2 file is a version-1 file
// with that column appended, and readers accept both.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace roofline {

inline constexpr int kSchemaVersion = 5;

// What is the same for every row of one run.
struct RunInfo {
  std::string run_id;
  std::string timestamp_utc;  // ISO 8601, e.g. 2026-11-24T10:00:00Z
  std::string host;
  std::optional<std::int64_t> gpu_index;
  std::string gpu_name;
  std::string gpu_uuid;
  std::string cc;  // compute capability, "8.6"
  std::optional<std::int64_t> sm_count;
  std::string driver_version;
  std::string cuda_runtime_version;
  std::string cuda_driver_version;
  std::string cublas_version;
  std::string git_commit;
  std::string build_archs;
  std::string l2_mode;  // "cold" or "warm"
  std::string spec;     // the datasheet entry the roofs come from ("a40")
  // gpu: measured on a GPU; emulated: run by bench_llama_emulated on the CPU emulator (not a measurement); empty
  // for predicted rows, which ran on no device.
  std::string device_kind;
};

struct PointRow {
  RunInfo run;
  // shape
  std::string model;
  std::string series;
  std::string op;
  std::string phase;
  std::string impl;
  std::string dtype;
  std::optional<std::int64_t> batch;
  std::optional<std::int64_t> seq_len;
  std::optional<std::int64_t> m, n, k, batch_count;
  // cost
  std::optional<std::int64_t> flops;
  std::optional<std::int64_t> bytes_min;
  std::optional<double> intensity;
  // measurement
  std::optional<double> time_us_median, time_us_min, time_cv;
  std::optional<std::int64_t> repetitions;
  std::optional<double> sm_clock_mhz;
  std::optional<bool> throttled;
  std::optional<double> dram_bytes_measured, l2_bytes_measured, intensity_measured;
  // roofs
  std::optional<double> peak_tflops_datasheet, peak_gbps_datasheet, peak_tflops_measured, peak_gbps_measured;
  // result
  std::optional<double> achieved_tflops, achieved_gbps, attainable_tflops, roof_fraction;
  std::string bound;
  // validity
  std::string status;  // ok, invalid, skipped, error, predicted
  std::optional<double> rel_error;
  std::string reason;
  // extensions of version 1
  std::optional<std::int64_t> buffer_bytes;
  std::string roof_source;  // "measured" or "datasheet": the roof that attainable_tflops and roof_fraction use
  std::string variant;      // the hand-written kernel that ran (impl "hand" picks one per shape)
  std::optional<double> mem_clock_mhz, temperature_c, power_w;
  std::string throttle_reasons;           // NVML clock event reasons seen while measuring, '|'-separated
  std::optional<double> time_us_counted;  // the kernel's duration in the counter pass (gpu__time_duration)
  // extensions of version 2
  std::optional<std::int64_t> candidates;  // q of a medusa step, 1 for ar, empty for init and ceilings
  // extensions of version 3 (short kernels, clocks, noise-based stopping, ceilings at both ends)
  std::optional<double> time_us_single;             // median of one launch alone between two events
  std::optional<std::int64_t> launches_per_sample;  // kernels behind one sample of time_us_median
  std::optional<double> median_ci_rel;              // half-width of the median's 95 % interval / median
  std::string samples_stop;                         // converged, time_cap, sample_cap or fixed
  std::string sm_clock_source;                      // probe or nvml
  std::optional<double> sm_clock_max_mhz;
  std::optional<bool> clock_low;  // sm_clock_mhz below kClockLowFraction of sm_clock_max_mhz
  std::optional<double> power_w_mean, power_capped_fraction, thermal_capped_fraction;
  std::optional<double> measured_at_s;  // seconds from the sweep's start to the end of the point's timing
  std::string ceiling_pass;             // start or end, for ceiling rows
  // extensions of version 4: RunInfo::device_kind
  // extensions of version 5: the kernel model's predicted achieved point (predicted rows; roofline/kernel_model.hpp)
  std::optional<double> time_us_predicted, achieved_tflops_predicted, dram_bytes_predicted, l2_bytes_predicted,
      wave_efficiency;
  std::string bound_predicted;
};

// A point ran slow clocks when its mean SM clock fell below this fraction of the maximum.
inline constexpr double kClockLowFraction = 0.75;

struct Column {
  using Cell = std::function<std::string(const PointRow&)>;
  const char* name;
  const char* unit;  // "" for text and counts without a unit
  const char* meaning;
  Cell cell;
};

const std::vector<Column>& csv_columns();
std::vector<std::string> csv_header();
std::vector<std::string> csv_cells(const PointRow& row);

// The column table as Markdown (name, unit, meaning): docs/csv_columns.md holds it verbatim, and
// `bench_llama --schema` prints it.
std::string csv_columns_markdown();

// The status values a row can have.
inline constexpr const char* kStatusOk = "ok";
inline constexpr const char* kStatusInvalid = "invalid";
inline constexpr const char* kStatusSkipped = "skipped";
inline constexpr const char* kStatusError = "error";
inline constexpr const char* kStatusPredicted = "predicted";

}  // namespace roofline

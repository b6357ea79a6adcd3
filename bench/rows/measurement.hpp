// What measuring one problem (or one ceiling) produced: its samples, telemetry and counters, or why it has none.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "bench/gpu/counters.hpp"
#include "bench/gpu/nvml.hpp"
#include "bench/timing/stats.hpp"
#include "roofline/schema.hpp"

namespace bench {

struct Measurement {
  std::string status = roofline::kStatusOk;  // ok, invalid, skipped, error
  std::string reason;
  std::vector<double> samples_s;         // the samples behind the median, seconds per kernel
  int launches_per_sample = 1;           // kernels behind one of samples_s (a batch for short points)
  std::vector<double> single_samples_s;  // one launch alone per sample, when samples_s are batched
  Stop stop = Stop::kFixed;              // why sampling stopped
  std::optional<double> rel_error;
  std::vector<Telemetry> telemetry;       // NVML readings: just before the samples (after warm-up), and after them
  std::optional<double> probe_clock_mhz;  // the clock probe's mean SM clock over the samples
  double timed_until = 0;                 // steady-clock seconds when the last sample ended
  std::optional<CounterValues> counters;  // the counter pass, with --counters
};

// The status of a task the sweep did not run (interrupted, or after a device fault): it has no row.
inline constexpr const char* kStatusNotRun = "not run";

// What a benchmark that threw measured: a CudaError that ran out of memory is a skipped point, any other failure an
// error row whose reason is the message. *sticky is set when the CUDA context cannot be trusted any more (a kernel
// fault): the sweep must stop.
Measurement failed_measurement(const std::exception& e, bool* sticky);

}  // namespace bench

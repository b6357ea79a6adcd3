// Summary statistics of per-repetition samples, and the rule that says when a point has enough of them (pure
// functions; tested on the CPU).
#pragma once

#include <functional>
#include <vector>

namespace bench {

struct SampleStats {
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double cv = 0;  // sample standard deviation / mean
  int count = 0;
};

// Throws std::invalid_argument for an empty vector.
SampleStats summarize(std::vector<double> samples);

// The distribution-free 95 % confidence interval of the median: the order statistics of ranks
// floor((n - 1.96 sqrt(n)) / 2) and ceil(1 + (n + 1.96 sqrt(n)) / 2) (1-based, clamped to 1..n). It needs no model of
// the noise, which for GPU timings is skewed (a few slow outliers), not normal.
struct MedianInterval {
  double low = 0, high = 0;
};
MedianInterval median_interval(std::vector<double> samples);
// Half the interval's width over the median: 0.005 means the median is known to within 0.5 %. Throws for no samples.
double median_ci_rel(const std::vector<double>& samples);

// When to stop taking samples of one point (the rule nvbench uses): at least min_samples, then stop as
// soon as the median's confidence interval is within max_ci_rel, or when max_seconds of sampling or max_samples have
// passed (the minimum holds even past the time cap). --repetitions N makes it a fixed count (fixed(N)). Looking at the
// interval again after each sample and stopping at the first look that passes makes its nominal 95 % somewhat
// optimistic; the rule is a stopping criterion, not a test.
struct StopRule {
  int min_samples = 10;
  int max_samples = 2000;
  double max_ci_rel = 0.005;
  double max_seconds = 0.2;
  static StopRule fixed(int samples);
};

enum class Stop { kContinue, kConverged, kTimeCap, kSampleCap, kFixed };
const char* stop_name(Stop stop);  // converged, time_cap, sample_cap, fixed

Stop stop_decision(const std::vector<double>& samples, double elapsed_seconds, const StopRule& rule);

// Seconds on the steady clock: the clock of the sampling loop, of the sweep's timestamps and of NVML readings.
double steady_seconds();

// Takes samples (each from `one_sample`, in seconds) until stop_decision says stop; `clock` gives seconds (a
// monotonic clock; tests pass a fake one). *why says which rule stopped it.
std::vector<double> sample_until_stable(const std::function<double()>& one_sample, const StopRule& rule,
                                        const std::function<double()>& clock, Stop* why);

}  // namespace bench

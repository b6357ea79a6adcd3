#include "bench/timing/stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace bench {

SampleStats summarize(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("summarize: no samples");
  std::sort(samples.begin(), samples.end());
  SampleStats s;
  s.count = static_cast<int>(samples.size());
  const std::size_t mid = samples.size() / 2;
  s.median = samples.size() % 2 ? samples[mid] : 0.5 * (samples[mid - 1] + samples[mid]);
  s.min = samples.front();
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / s.count;
  if (s.count > 1 && s.mean > 0) {
    double ss = 0;
    for (double x : samples) ss += (x - s.mean) * (x - s.mean);
    s.cv = std::sqrt(ss / (s.count - 1)) / s.mean;
  }
  return s;
}

MedianInterval median_interval(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("median_interval: no samples");
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  const double spread = 1.96 * std::sqrt(n);
  const auto clamp_rank = [&](double rank) { return static_cast<std::size_t>(std::clamp(rank, 1.0, n)) - 1; };
  return {samples[clamp_rank(std::floor((n - spread) / 2))], samples[clamp_rank(std::ceil(1 + (n + spread) / 2))]};
}

double median_ci_rel(const std::vector<double>& samples) {
  const MedianInterval interval = median_interval(samples);
  const double median = summarize(samples).median;
  return median > 0 ? (interval.high - interval.low) / (2 * median) : std::numeric_limits<double>::infinity();
}

StopRule StopRule::fixed(int samples) {
  StopRule rule;
  rule.min_samples = rule.max_samples = samples;
  rule.max_ci_rel = 0;
  rule.max_seconds = std::numeric_limits<double>::infinity();
  return rule;
}

const char* stop_name(Stop stop) {
  switch (stop) {
    case Stop::kContinue:
      return "continue";
    case Stop::kConverged:
      return "converged";
    case Stop::kTimeCap:
      return "time_cap";
    case Stop::kSampleCap:
      return "sample_cap";
    case Stop::kFixed:
      return "fixed";
  }
  return "?";
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Stop stop_decision(const std::vector<double>& samples, double elapsed_seconds, const StopRule& rule) {
  const int n = static_cast<int>(samples.size());
  if (n < std::max(rule.min_samples, 1)) return Stop::kContinue;
  if (rule.min_samples >= rule.max_samples) return Stop::kFixed;
  if (median_ci_rel(samples) <= rule.max_ci_rel) return Stop::kConverged;
  if (n >= rule.max_samples) return Stop::kSampleCap;
  if (elapsed_seconds >= rule.max_seconds) return Stop::kTimeCap;
  return Stop::kContinue;
}

std::vector<double> sample_until_stable(const std::function<double()>& one_sample, const StopRule& rule,
                                        const std::function<double()>& clock, Stop* why) {
  std::vector<double> samples;
  const double started = clock();
  Stop stop = Stop::kContinue;
  // The interval is looked at after every sample up to 100, then every 5 % more (each look sorts the samples).
  std::size_t next_look = 0;
  while (true) {
    const bool capped = static_cast<int>(samples.size()) >= rule.max_samples || clock() - started >= rule.max_seconds;
    if (samples.size() >= next_look || capped) {
      stop = stop_decision(samples, clock() - started, rule);
      if (stop != Stop::kContinue) break;
      next_look = samples.size() < 100 ? samples.size() + 1 : samples.size() + samples.size() / 20;
    }
    samples.push_back(one_sample());
  }
  if (why) *why = stop;
  return samples;
}

}  // namespace bench

// Summary statistics of per-repetition samples (pure functions; tested on the CPU).
#pragma once

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

}  // namespace bench

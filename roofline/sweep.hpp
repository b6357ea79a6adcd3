// The sweep: which settings (phase x batch x seq_len) and operators a run covers.
#pragma once

#include <cstdint>
#include <vector>

#include "roofline/operators.hpp"

namespace roofline {

struct SweepSpec {
  std::vector<Phase> phases;
  std::vector<std::int64_t> batches;
  std::vector<std::int64_t> seq_lens;
  std::vector<Op> ops;
  std::vector<Dtype> dtypes;
};

// The reference figure's sweep: both phases, b in {1, 2, 4, ..., 64}, s in {128, 256, ..., 8192}, every operator,
// fp16. 49 settings per operator and phase.
SweepSpec default_sweep();

// A small sweep for a quick look (b in {1, 16}, s in {512, 4096}).
SweepSpec quick_sweep();

// Every setting in order: phase, then batch, then seq_len.
std::vector<Setting> settings_of(const SweepSpec& spec);

}  // namespace roofline

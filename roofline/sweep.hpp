// The sweep: which settings (phase x batch x seq_len, and x candidates for medusa) and operators a run covers.
#pragma once

#include <cstdint>
#include <vector>

#include "roofline/operators.hpp"

namespace roofline {

// The medusa phase's candidates per sequence by default: the paper's range, q in {16, 32, ..., 112}.
std::vector<std::int64_t> default_candidates();

struct SweepSpec {
  std::vector<Phase> phases;
  std::vector<std::int64_t> batches;
  std::vector<std::int64_t> seq_lens;
  std::vector<Op> ops;
  std::vector<Dtype> dtypes;
  std::vector<std::int64_t> candidates = default_candidates();  // q of the medusa phase
};

// The reference figure's sweep: init and ar, b in {1, 2, 4, ..., 64}, s in {128, 256, ..., 8192}, every operator,
// fp16. 49 settings per operator and phase. The medusa phase is opt-in; its candidates default to the paper's
// range, q in {16, 32, ..., 112}: 49 * 7 settings per operator.
SweepSpec default_sweep();

// A small sweep for a quick look (b in {1, 16}, s in {512, 4096}; q in {16, 64} for medusa).
SweepSpec quick_sweep();

// Every phase there is, in order: what --phase all means.
std::vector<Phase> all_phases();

// Every setting in order: phase, then batch, then seq_len, then (medusa only) candidates.
std::vector<Setting> settings_of(const SweepSpec& spec);

}  // namespace roofline

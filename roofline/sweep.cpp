#include "roofline/sweep.hpp"

namespace roofline {
namespace {

std::vector<Op> every_op() {
  std::vector<Op> ops;
  for (const auto& info : all_ops()) ops.push_back(info.op);
  return ops;
}

}  // namespace

std::vector<std::int64_t> default_candidates() { return {16, 32, 48, 64, 80, 96, 112}; }

SweepSpec default_sweep() {
  return SweepSpec{{Phase::kInit, Phase::kAr},
                   {1, 2, 4, 8, 16, 32, 64},
                   {128, 256, 512, 1024, 2048, 4096, 8192},
                   every_op(),
                   {Dtype::kF16}};
}

SweepSpec quick_sweep() {
  SweepSpec spec = default_sweep();
  spec.batches = {1, 16};
  spec.seq_lens = {512, 4096};
  spec.candidates = {16, 64};
  return spec;
}

std::vector<Phase> all_phases() { return {Phase::kInit, Phase::kAr, Phase::kMedusa}; }

std::vector<Setting> settings_of(const SweepSpec& spec) {
  std::vector<Setting> settings;
  for (Phase phase : spec.phases) {
    for (std::int64_t b : spec.batches) {
      for (std::int64_t s : spec.seq_lens) {
        if (phase != Phase::kMedusa) {
          settings.push_back(Setting{phase, b, s, 1});
          continue;
        }
        for (std::int64_t q : spec.candidates) settings.push_back(Setting{phase, b, s, q});
      }
    }
  }
  return settings;
}

}  // namespace roofline

#include "roofline/sweep.hpp"

namespace roofline {
namespace {

std::vector<Op> every_op() {
  std::vector<Op> ops;
  for (const auto& info : all_ops()) ops.push_back(info.op);
  return ops;
}

}  // namespace

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
  return spec;
}

std::vector<Setting> settings_of(const SweepSpec& spec) {
  std::vector<Setting> settings;
  for (Phase phase : spec.phases) {
    for (std::int64_t b : spec.batches) {
      for (std::int64_t s : spec.seq_lens) settings.push_back(Setting{phase, b, s});
    }
  }
  return settings;
}

}  // namespace roofline

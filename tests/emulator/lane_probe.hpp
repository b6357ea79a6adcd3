// The lane maps of the instructions the emulator implements, as raw observations: one-hot operands through
// mma.sync m16n8k16 (fp16, bf16) and unique values through ldmatrix x4 (.trans), shfl.sync and __byte_perm, each
// line saying which lane and register received which value. lane_probe.cu runs them through the project's own PTX
// wrappers (kernels/ptx/) on whichever device it is compiled for: a GPU (the lane_probe program, which the GPU
// runbook runs) or the emulator (tests/emulator's LaneMaps test). The two tables must be the same text: the emulator's
// is committed (tests/emulator/data/lane_maps.txt, checked against the emulator by the emu tests), and lane_probe
// compares a GPU's with it, so that the emulator's model of each instruction is settled by silicon once.
#pragma once

#include <string>

namespace lane_probe {

// The whole table, one line per probe. Throws std::runtime_error if a launch fails.
std::string lane_maps();

}  // namespace lane_probe

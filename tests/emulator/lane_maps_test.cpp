// The emulator's lane maps (lane_probe.hpp) are the committed table that lane_probe compares a GPU's with: a change
// of the emulator's instructions must change the table too (set BENCH_LLAMA_WRITE_LANE_MAPS=1 to rewrite it, and say
// why in the commit).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "emulator/emulator.hpp"
#include "lane_probe.hpp"

TEST(LaneMaps, TheCommittedTableIsTheEmulators) {
  cuda_emu::reset();
  const std::string now = lane_probe::lane_maps();
  for (const auto& d : cuda_emu::take_diagnostics()) ADD_FAILURE() << d.message;
  if (const char* write = std::getenv("BENCH_LLAMA_WRITE_LANE_MAPS"); write && std::string(write) == "1") {
    std::ofstream(BENCH_LLAMA_LANE_MAPS) << now;
  }
  std::ifstream in(BENCH_LLAMA_LANE_MAPS);
  ASSERT_TRUE(in) << BENCH_LLAMA_LANE_MAPS << " is missing: run this test with BENCH_LLAMA_WRITE_LANE_MAPS=1";
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(now, committed.str()) << "the emulator's lane maps changed: if on purpose, rerun with "
                                     "BENCH_LLAMA_WRITE_LANE_MAPS=1 and commit "
                                  << BENCH_LLAMA_LANE_MAPS;
}

// lane_probe: the lane maps of the instructions the emulator implements (lane_probe.hpp), measured on GPU 0 and
// compared with the emulator's, which the build embeds (tests/emulator/data/lane_maps.txt). No arguments. Prints the
// GPU's table and the lines that differ; exit 0 when every line agrees, 1 when one differs (the emulator's model of
// that instruction is wrong, or the kernels and the emulator share a misreading), 2 on a failure, 77 without a GPU.
#include <cuda_runtime.h>

#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "lane_probe.hpp"

extern const char* const kEmulatorLaneMaps;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("lane_probe: no GPU here (cudaGetDeviceCount found none): not run\n");
    return 77;
  }
  std::string measured;
  try {
    measured = lane_probe::lane_maps();
  } catch (const std::exception& e) {
    std::printf("lane_probe: %s\n", e.what());
    return 2;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("# lane maps measured on %s (sm_%d%d)\n%s", prop.name, prop.major, prop.minor, measured.c_str());
  const std::vector<std::string> gpu = lines_of(measured), emulator = lines_of(kEmulatorLaneMaps);
  int differ = 0;
  for (std::size_t i = 0; i < std::max(gpu.size(), emulator.size()); ++i) {
    const std::string g = i < gpu.size() ? gpu[i] : "(none)", e = i < emulator.size() ? emulator[i] : "(none)";
    if (g == e) continue;
    if (++differ <= 20) std::printf("DIFFERS line %zu\n  gpu:      %s\n  emulator: %s\n", i + 1, g.c_str(), e.c_str());
  }
  std::printf("lane_probe: %zu lines, %d differ from the emulator's: %s\n", gpu.size(), differ,
              differ == 0 ? "the emulator's lane maps agree with this GPU" : "the emulator disagrees with this GPU");
  return differ == 0 ? 0 : 1;
}

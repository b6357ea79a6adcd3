#include "bench/gpu/device.hpp"

#include <cuda_runtime_api.h>

#include <string>

#include "bench/app/cli.hpp"
#include "bench/app/errors.hpp"

namespace bench {

int cuda_device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    const std::string why = status != cudaSuccess ? std::string(cudaGetErrorString(status)) : "no devices";
    throw DeviceError("no CUDA device found (" + why +
                      "). To see the roofline without a GPU, run "
                      "bench_llama --predict --spec a40 (bench_llama --spec list shows the GPUs it knows).");
  }
  return count;
}

std::vector<int> selected_devices(bool all, int index) {
  const int count = cuda_device_count();
  if (all) {
    std::vector<int> devices;
    for (int i = 0; i < count; ++i) devices.push_back(i);
    return devices;
  }
  if (index >= count) {
    throw UsageError("--gpu " + std::to_string(index) + ": this machine has " + std::to_string(count) + " CUDA device" +
                     (count == 1 ? "" : "s") + "; use --gpu 0" + (count > 1 ? " to " + std::to_string(count - 1) : "") +
                     " or --gpu all");
  }
  return {index};
}

}  // namespace bench

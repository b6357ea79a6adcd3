// Device selection: which CUDA devices exist, and a clear DeviceError (exit 3) when none does.
#pragma once

#include <vector>

namespace bench {

// The number of CUDA devices; throws DeviceError (with the driver's reason and the --predict suggestion) if there
// are none or the driver cannot be used.
int cuda_device_count();

// The devices a run measures: every device for --gpu all, else the one asked for (checked against the count).
std::vector<int> selected_devices(bool all, int index);

}  // namespace bench

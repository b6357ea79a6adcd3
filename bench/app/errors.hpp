// The failures main() turns into exit codes (DESIGN.md section 5): 2 bad usage or input, 3 no usable GPU or a device
// failure, 1 anything else.
#pragma once

#include <stdexcept>

namespace bench {

enum ExitCode : int { kExitOk = 0, kExitInternal = 1, kExitUsage = 2, kExitDevice = 3, kExitInterrupted = 130 };

// No usable GPU, or the device failed. what() says what and suggests the fix.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bench

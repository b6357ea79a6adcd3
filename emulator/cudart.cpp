// The CUDA runtime API as emulated code sees it: the entry points host code that is compiled for the emulator calls,
// answered by the emulator (nothing here reaches a CUDA library; a runtime function this file lacks fails to link).
#include <cuda_runtime_api.h>

namespace {

#define CUDA_EMU_ERRORS(X)                                                                 \
  X(cudaSuccess, "no error")                                                               \
  X(cudaErrorInvalidValue, "invalid argument")                                             \
  X(cudaErrorMemoryAllocation, "out of memory")                                            \
  X(cudaErrorInitializationError, "initialization error")                                  \
  X(cudaErrorInvalidConfiguration, "invalid configuration argument")                       \
  X(cudaErrorInvalidDevice, "invalid device ordinal")                                      \
  X(cudaErrorNoDevice, "no CUDA-capable device is detected")                               \
  X(cudaErrorNotSupported, "operation not supported")                                      \
  X(cudaErrorSymbolNotFound, "named symbol not found")                                     \
  X(cudaErrorIllegalAddress, "an illegal memory access was encountered")                   \
  X(cudaErrorMisalignedAddress, "misaligned address")                                      \
  X(cudaErrorLaunchFailure, "unspecified launch failure")                                  \
  X(cudaErrorLaunchTimeout, "the launch timed out and was terminated")                     \
  X(cudaErrorLaunchOutOfResources, "too many resources requested for launch")              \
  X(cudaErrorAssert, "device-side assert triggered")                                       \
  X(cudaErrorNotReady, "device not ready")                                                 \
  X(cudaErrorStreamCaptureUnsupported, "operation not permitted when stream is capturing") \
  X(cudaErrorUnknown, "unknown error")

}  // namespace

extern "C" {

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
#define CUDA_EMU_NAME(code, text) \
  case code:                      \
    return #code;
    CUDA_EMU_ERRORS(CUDA_EMU_NAME)
#undef CUDA_EMU_NAME
    default:
      return "cudaErrorUnknown (not named by the emulator)";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
#define CUDA_EMU_TEXT(code, text) \
  case code:                      \
    return text;
    CUDA_EMU_ERRORS(CUDA_EMU_TEXT)
#undef CUDA_EMU_TEXT
    default:
      return "an error the emulator does not describe";
  }
}

// No driver behind the emulator: every driver entry point is missing (a caller that needs one refuses its work).
cudaError_t cudaGetDriverEntryPointByVersion(const char* /*symbol*/, void** function, unsigned int /*version*/,
                                             unsigned long long /*flags*/, cudaDriverEntryPointQueryResult* status) {
  if (function) *function = nullptr;
  if (status) *status = cudaDriverEntryPointSymbolNotFound;
  return cudaErrorSymbolNotFound;
}

}  // extern "C"

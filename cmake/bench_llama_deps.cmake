# Finds every dependency with find_package. A missing one stops the configure step with the package that provides
# it, so a newcomer sees the fix instead of a CMake stack trace. tools/setup.sh installs all of them on Debian/Ubuntu.

macro(bench_llama_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "bench_llama needs ${package}, which was not found.\n"
      "Install it (Debian/Ubuntu: `apt-get install ${debian_package}`, or run tools/setup.sh), "
      "or point CMAKE_PREFIX_PATH at its installation.")
  endif()
endmacro()

if(BENCH_LLAMA_CUDA)
  bench_llama_require(CUDAToolkit "the CUDA Toolkit 12 or newer (from NVIDIA)")
  if(CUDAToolkit_VERSION VERSION_LESS 12.0)
    message(FATAL_ERROR "bench_llama needs CUDA Toolkit 12.0 or newer (found ${CUDAToolkit_VERSION}); sm_90a needs it.")
  endif()
  if(NOT TARGET CUDA::nvtx3)
    message(FATAL_ERROR "The CUDA Toolkit's NVTX3 headers (CUDA::nvtx3) were not found; reinstall the CUDA Toolkit "
                        "with its nvtx component, or use CMake 3.25 or newer, which defines CUDA::nvtx3.")
  endif()
  bench_llama_require(benchmark libbenchmark-dev)
endif()
bench_llama_require(fmt libfmt-dev)
bench_llama_require(spdlog libspdlog-dev)
bench_llama_require(nlohmann_json nlohmann-json3-dev)
if(BENCH_LLAMA_BUILD_TESTS)
  bench_llama_require(GTest libgtest-dev)
endif()

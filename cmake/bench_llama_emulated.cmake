# The emulated build (BENCH_LLAMA_EMULATED, presets emu and emu-asan): the emulator, the kernels of kernels/ compiled
# as host C++ for it, bench_llama_emulated (bench/ on the emulator's stand-ins for the CUDA runtime and cuBLAS), and
# the tests that run them (label emu). No CUDA compiler, no CUDA library, no GPU: the CUDA Toolkit's headers only.
# bench_llama itself is not built here, and never links the emulator.

macro(bench_llama_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "bench_llama's emulated build needs ${package}, which was not found.\n"
      "Install it (Debian/Ubuntu: `apt-get install ${debian_package}`, or run tools/setup.sh), "
      "or point CMAKE_PREFIX_PATH at its installation.")
  endif()
endmacro()
bench_llama_require(CUDAToolkit "the CUDA Toolkit 12 or newer (from NVIDIA; only its headers are used here)")
bench_llama_require(GTest libgtest-dev)
bench_llama_require(nlohmann_json nlohmann-json3-dev)
bench_llama_require(benchmark libbenchmark-dev)
bench_llama_require(fmt libfmt-dev)
bench_llama_require(spdlog libspdlog-dev)

include(bench_llama_targets)
set(CMAKE_CUDA_ARCHITECTURES "emulated")  # what build_archs records for bench_llama_emulated
include(bench_llama_build_info)

add_subdirectory(roofline)
add_subdirectory(emulator)
bench_llama_warnings(cuda_emu)
add_subdirectory(kernels)
bench_llama_warnings(bench_llama_kernels_emulated)
add_library(bench_llama_problem_args STATIC bench/point/problem_args.cpp)
target_include_directories(bench_llama_problem_args PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_llama_problem_args PUBLIC bench_llama_roofline CUDA::toolkit)
bench_llama_warnings(bench_llama_problem_args)
add_subdirectory(bench)

if(BENCH_LLAMA_BUILD_TESTS)
  enable_testing()
  add_subdirectory(tests/emulator)
  add_subdirectory(tests/kernels/emulated)
endif()

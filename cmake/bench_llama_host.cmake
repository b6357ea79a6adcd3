# The build without CUDA (no nvcc, or BENCH_LLAMA_CUDA=OFF): roofline/ and its tests, and bench_llama with its GPU-free
# modes (--predict, --list, --spec, --schema), compiled from the same sources as the full build with no CUDA header
# and no CUDA library. bench/app/without_cuda.cpp stands in for the kernels' table (none) and the measured mode (it says
# how to get a build that measures).

include(bench_llama_deps)
include(bench_llama_targets)
set(CMAKE_CUDA_ARCHITECTURES "none")  # what build_archs records: no kernels
include(bench_llama_build_info)

add_subdirectory(roofline)

add_executable(bench_llama
  bench/app/cli.cpp
  bench/app/env_record.cpp
  bench/app/help_text.cpp
  bench/app/main.cpp
  bench/app/plot.cpp
  bench/app/predict.cpp
  bench/app/run_folder.cpp
  bench/app/without_cuda.cpp
  ${BENCH_LLAMA_BUILD_INFO_CPP})
add_dependencies(bench_llama bench_llama_git_commit)
target_include_directories(bench_llama PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_llama PRIVATE bench_llama_roofline spdlog::spdlog fmt::fmt nlohmann_json::nlohmann_json)
# Where the full build puts it, so the scripts and tests find either at the same path.
set_target_properties(bench_llama PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
bench_llama_warnings(bench_llama)

if(BENCH_LLAMA_BUILD_TESTS)
  enable_testing()
  add_subdirectory(tests/roofline)
endif()

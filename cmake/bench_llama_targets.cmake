# One helper per kind of target, so every target gets the same standard, warnings and flags.

set(BENCH_LLAMA_CXX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)

function(bench_llama_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${BENCH_LLAMA_CXX_WARNINGS}>
    # nvcc: host-compiler warnings, and ptxas reports any spill to local memory (a kernel must have none).
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra -Xptxas=--warn-on-spills>)
  if(BENCH_LLAMA_WERROR)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Werror>
      $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
  endif()
endfunction()

# A library of plain C++ (no CUDA anywhere).
function(bench_llama_cxx_library target)
  add_library(${target} STATIC ${ARGN})
  target_compile_features(${target} PUBLIC cxx_std_17)
  bench_llama_warnings(${target})
endfunction()

# A library of CUDA kernels, compiled for every architecture in CMAKE_CUDA_ARCHITECTURES.
function(bench_llama_cuda_library target)
  add_library(${target} STATIC ${ARGN})
  target_compile_features(${target} PUBLIC cxx_std_17 cuda_std_17)
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo>)
  bench_llama_warnings(${target})
endfunction()

# A unit test (runs anywhere) or a GPU test (skips with a reason where there is no GPU), labelled for ctest -L.
function(bench_llama_test target label)
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE GTest::gtest GTest::gtest_main)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  bench_llama_warnings(${target})
  include(GoogleTest)
  # GTEST_SKIP shows as "Skipped" in ctest's summary, with the reason in the test's output.
  gtest_discover_tests(${target} PROPERTIES LABELS ${label} SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
                       DISCOVERY_TIMEOUT 60)
endfunction()

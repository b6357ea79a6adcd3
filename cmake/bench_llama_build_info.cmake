# Build facts compiled into bench_llama: the git commit (refreshed at every build, not only at configure time),
# the CUDA architectures and the toolkit version. They go into every CSV row and env.json.

set(BENCH_LLAMA_BUILD_INFO_CPP "${CMAKE_CURRENT_BINARY_DIR}/generated/build_info.cpp")
add_custom_target(bench_llama_git_commit
  COMMAND ${CMAKE_COMMAND}
          -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}
          -DOUTPUT=${BENCH_LLAMA_BUILD_INFO_CPP}
          "-DARCHS=${CMAKE_CUDA_ARCHITECTURES}"
          -DCUDA_VERSION=${CUDAToolkit_VERSION}
          -DPROJECT_VERSION=${PROJECT_VERSION}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/write_build_info.cmake
  BYPRODUCTS ${BENCH_LLAMA_BUILD_INFO_CPP}
  COMMENT "Recording the git commit"
  VERBATIM)

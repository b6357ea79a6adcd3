# CUDA architectures for CMAKE_CUDA_ARCHITECTURES=native. CMake's own "native" asks nvcc for the GPU's real
# architecture (sm_90 on an H100), which has no wgmma or TMA: the Hopper kernels would be silently left out. This asks
# nvidia-smi for each GPU's compute capability instead and takes the architecture-specific target where the project
# has code for it (9.0 -> 90a). Usable in script mode for its test: cmake -DBENCH_LLAMA_NVIDIA_SMI=... -P this file.

# Maps nvidia-smi's compute capabilities ("9.0", one per line) to a CUDA architecture list ("90a").
function(bench_llama_archs_from_compute_caps caps out_var)
  string(REPLACE "\n" ";" lines "${caps}")
  set(archs "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" cap)
    if(cap STREQUAL "")
      continue()
    endif()
    if(NOT cap MATCHES "^([0-9]+)\\.([0-9]+)$")
      message(FATAL_ERROR "nvidia-smi gave the compute capability \"${cap}\", which is not major.minor")
    endif()
    set(arch "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
    if(arch STREQUAL "90")
      set(arch "90a")  # kernels/gemm_wgmma.cu: wgmma and TMA exist only in the architecture-specific target
    endif()
    list(APPEND archs "${arch}")
  endforeach()
  list(REMOVE_DUPLICATES archs)
  set(${out_var} "${archs}" PARENT_SCOPE)
endfunction()

# The architectures of this machine's GPUs, or a fatal error that names the fix.
function(bench_llama_native_archs out_var)
  if(NOT BENCH_LLAMA_NVIDIA_SMI)
    set(BENCH_LLAMA_NVIDIA_SMI nvidia-smi)
  endif()
  execute_process(COMMAND ${BENCH_LLAMA_NVIDIA_SMI} --query-gpu=compute_cap --format=csv,noheader
                  OUTPUT_VARIABLE caps RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR caps STREQUAL "")
    message(FATAL_ERROR "CMAKE_CUDA_ARCHITECTURES=native (preset native) needs a GPU that nvidia-smi can see; on a "
                        "machine without one, use the release preset (80;86;89;90a) or name the architectures")
  endif()
  bench_llama_archs_from_compute_caps("${caps}" archs)
  set(${out_var} "${archs}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  bench_llama_native_archs(archs)
  message("${archs}")
endif()

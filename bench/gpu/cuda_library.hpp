// CUDA libraries bench_llama loads at run time with dlopen (cuBLAS, CUPTI; NVML is the driver's): the GPU-free modes
// (--predict, --list, --spec, --schema) load none of them, and the measured mode finds them where a CUDA install puts
// them.
#pragma once

#include <string>
#include <vector>

namespace bench {

// Where to look for `soname`, in order: the name alone (LD_LIBRARY_PATH, the binary's RUNPATH, the system's cache),
// then each of `subfolders` of $CUDA_HOME, then `build_folder` (where the build's toolkit has it), then each of
// `subfolders` of /usr/local/cuda and /opt/cuda, then the system's library folder. NVIDIA's Python wheels are not
// searched: put their folder on LD_LIBRARY_PATH.
std::vector<std::string> cuda_library_candidates(const std::string& soname, const std::string& build_folder,
                                                 const std::vector<std::string>& subfolders);

}  // namespace bench

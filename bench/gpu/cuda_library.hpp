// CUDA libraries bench_llama loads at run time with dlopen (cuBLAS, CUPTI; NVML is the driver's): the GPU-free modes
// (--predict, --list, --spec, --schema) load none of them, and the measured mode finds them where a CUDA install puts
// them.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace bench {

// Where to look for `soname`, in order: the name alone (LD_LIBRARY_PATH, the binary's RUNPATH, the system's cache),
// then each of `subfolders` of $CUDA_HOME, then `build_folder` (where the build's toolkit has it), then each of
// `subfolders` of /usr/local/cuda and /opt/cuda, then the system's library folder. NVIDIA's Python wheels are not
// searched: put their folder on LD_LIBRARY_PATH.
std::vector<std::string> cuda_library_candidates(const std::string& soname, const std::string& build_folder,
                                                 const std::vector<std::string>& subfolders);

// The first of `candidates` that exists and loads (dlopen, RTLD_NOW | RTLD_LOCAL), or nullptr; *loaded_from names it,
// and *tried lists what was tried and the loader's errors, for a message that names the fix. `before` runs with a
// candidate's folder before it is opened (a library whose own dependencies are found by name only).
void* open_cuda_library(const std::vector<std::string>& candidates, std::string* loaded_from, std::string* tried,
                        const std::function<void(const std::string& folder)>& before = {});

}  // namespace bench

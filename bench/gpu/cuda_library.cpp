#include "bench/gpu/cuda_library.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

namespace bench {

std::vector<std::string> cuda_library_candidates(const std::string& soname, const std::string& build_folder,
                                                 const std::vector<std::string>& subfolders) {
  std::vector<std::string> folders;
  if (const char* home = std::getenv("CUDA_HOME"); home && *home) {
    for (const std::string& sub : subfolders) folders.push_back(home + sub);
  }
  if (!build_folder.empty()) folders.push_back(build_folder);
  for (const char* root : {"/usr/local/cuda", "/opt/cuda"}) {
    for (const std::string& sub : subfolders) folders.push_back(root + sub);
  }
  folders.emplace_back("/usr/lib/x86_64-linux-gnu");
  std::vector<std::string> candidates = {soname};
  for (const auto& folder : folders) candidates.push_back(folder + "/" + soname);
  return candidates;
}

void* open_cuda_library(const std::vector<std::string>& candidates, std::string* loaded_from, std::string* tried,
                        const std::function<void(const std::string& folder)>& before) {
  std::string failed;
  for (const std::string& candidate : candidates) {
    const bool path = candidate.find('/') != std::string::npos;
    std::error_code unreadable;  // a folder this user may not read is one where the library is not found
    if (path && !std::filesystem::exists(candidate, unreadable)) continue;
    *tried += (tried->empty() ? "" : ", ") + candidate;
    if (path && before) before(std::filesystem::path(candidate).parent_path().string());
    if (void* lib = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      *loaded_from = candidate;
      return lib;
    }
    if (const char* error = dlerror()) failed += std::string("; ") + error;
  }
  *tried += failed;
  return nullptr;
}

}  // namespace bench

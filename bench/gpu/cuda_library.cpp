#include "bench/gpu/cuda_library.hpp"

#include <cstdlib>

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

}  // namespace bench

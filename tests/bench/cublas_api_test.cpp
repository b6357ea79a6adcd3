// cuBLAS is loaded at run time, so that the GPU-free modes load no CUDA library: where bench_llama looks for it, and
// that the build's own cuBLAS binds every function bench/ calls (no GPU needed to load it).
#include "bench/gpu/cublas_api.hpp"

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(CublasApi, IsLookedForByNameFirstThenWhereCudaInstallsPutIt) {
  const std::vector<std::string> candidates = cublas_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.front().rfind("libcublas.so.", 0), 0u) << "first by name: LD_LIBRARY_PATH and RUNPATH win";
  auto has = [&](const std::string& folder) {
    for (const auto& c : candidates) {
      if (c.rfind(folder + "/libcublas.so.", 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/usr/local/cuda/lib64"));
  EXPECT_TRUE(has("/usr/local/cuda/targets/x86_64-linux/lib"));
}

TEST(CublasApi, TheBuildsCublasBindsEveryFunction) {
  const CublasApi& api = cublas_api();  // the toolkit that built this test is on this machine
  EXPECT_NE(api.Create, nullptr);
  EXPECT_NE(api.Destroy, nullptr);
  EXPECT_NE(api.SetStream, nullptr);
  EXPECT_NE(api.SetWorkspace, nullptr);
  EXPECT_NE(api.GetProperty, nullptr);
  EXPECT_NE(api.GetStatusName, nullptr);
  EXPECT_NE(api.GetStatusString, nullptr);
  EXPECT_NE(api.GemmEx, nullptr);
  EXPECT_NE(api.GemmBatchedEx, nullptr);
  int major = 0;
  EXPECT_EQ(api.GetProperty(MAJOR_VERSION, &major), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ("libcublas.so." + std::to_string(major), cublas_candidates().front());
  EXPECT_STREQ(api.GetStatusName(CUBLAS_STATUS_NOT_INITIALIZED), "CUBLAS_STATUS_NOT_INITIALIZED");
}

}  // namespace
}  // namespace bench

// The sweep's record in env.json, on the CPU: it says which hand-written variants the run was allowed to use.
#include "bench/app/measured_run.hpp"

#include <gtest/gtest.h>

#include "roofline/model_config.hpp"

namespace bench {
namespace {

TEST(Measure, EnvJsonRecordsTheAllowedVariants) {
  const roofline::ModelConfig model = roofline::resolve_model("llama-33b");
  Options options = parse_cli({"--quick"});
  const roofline::Plan plan = roofline::make_plan(model, options.sweep);
  EXPECT_TRUE(sweep_json(options, model, plan)["allowed_variants"].is_null());  // every variant

  options = parse_cli({"--quick", "--allow-variants", "gemv_mma_splitk,gemm_mma_64x64"});
  const nlohmann::json sweep = sweep_json(options, model, plan);
  EXPECT_EQ(sweep["allowed_variants"], (nlohmann::json{"gemv_mma_splitk", "gemm_mma_64x64"}));
  EXPECT_EQ(sweep["impls"], (nlohmann::json{"hand", "cublas"}));

  options = parse_cli({"--quick", "--allow-variants", "none"});
  const nlohmann::json none = sweep_json(options, model, plan)["allowed_variants"];
  EXPECT_TRUE(none.is_array() && none.empty()) << none;
}

}  // namespace
}  // namespace bench

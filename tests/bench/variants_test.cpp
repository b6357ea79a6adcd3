// The measured path's planning, on the CPU: every distinct problem of the medusa phase's default candidates gets a
// hand-written variant from `hand` (the first of kernels/variants.cu whose supports() and suits() accept it), a
// variant named with --impl that cannot run it says why, cuBLAS can take every shape, and --allow-variants keeps
// `hand` to the variants it names. supports() and suits() read
// shapes, strides and pointer alignment only: gemm_args() leaves the pointers null, and no GPU is touched.
#include "bench/sweep/variants.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <set>
#include <string>
#include <vector>

#include "bench/point/problem_buffers.hpp"
#include "roofline/kernel_model.hpp"
#include "roofline/plan.hpp"

namespace bench {
namespace {

struct Device {
  const char* name;
  int sm;
  int sm_count;
};

// Architectures the build targets, with a real GPU's SM count each (suits() compares tiles with it).
const Device kDevices[] = {{"A100", 80, 108}, {"A40", 86, 84}, {"L40S", 89, 142}, {"H100 SXM", 90, 132}};

const roofline::ModelConfig& model(int which) {
  static const roofline::ModelConfig mha = roofline::resolve_model("llama-33b");
  static const roofline::ModelConfig gqa = roofline::parse_model_config(
      R"({"hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 28672})",
      "llama-2-70b");
  return which == 0 ? mha : gqa;
}

roofline::Plan medusa_plan(const roofline::ModelConfig& m) {
  roofline::SweepSpec sweep = roofline::default_sweep();
  sweep.phases = {roofline::Phase::kMedusa};
  return roofline::make_plan(m, sweep);
}

bool is_gemm(const std::string& name) { return name.rfind("gemm_mma_", 0) == 0 || name == "gemm_wgmma_128x128"; }

TEST(Variants, EveryMedusaProblemOfTheDefaultCandidatesGetsAHandVariant) {
  for (int which : {0, 1}) {
    const roofline::Plan plan = medusa_plan(model(which));
    ASSERT_FALSE(plan.measurements.empty());
    for (const Device& device : kDevices) {
      std::set<std::string> used;
      for (const roofline::GemmProblem& problem : plan.measurements) {
        kernels::GemmArgs args = gemm_args(problem);
        ASSERT_EQ(args.a.data, nullptr);
        args.sm_count = device.sm_count;
        std::string why;
        const kernels::GemmVariant* v = choose_variant(args, "hand", device.sm, &why);
        ASSERT_NE(v, nullptr) << model(which).name << " on " << device.name << ": " << problem.key() << ": " << why;
        const std::string name = v->name;
        used.insert(name);
        const bool attention = problem.heads > 1;
        if (attention && problem.b_layout == roofline::BLayout::kNN) {  // pv: q x d x s, V read as [s x d]
          EXPECT_TRUE(name.rfind("gemm_mma_", 0) == 0) << problem.key() << " got " << name;
        } else if (attention) {  // qk: q x s x d
          EXPECT_TRUE(problem.m <= 64 ? name == "gemv_mma_wide" : is_gemm(name)) << problem.key() << " got " << name;
        } else {  // a linear with M = b*q
          EXPECT_TRUE(problem.m <= 64 ? name == "gemv_mma_splitk" : is_gemm(name)) << problem.key() << " got " << name;
        }
        // cuBLAS takes every shape: its dimensions, leading dimensions and batch count are 32-bit ints.
        for (std::int64_t dim :
             {problem.m, problem.n, problem.k, problem.a.ld, problem.b.ld, problem.c.ld, problem.batch_count()}) {
          EXPECT_LE(dim, INT_MAX) << problem.key();
        }
      }
      EXPECT_TRUE(used.count("gemv_mma_wide") && used.count("gemv_mma_splitk")) << device.name;
    }
  }
}

TEST(Variants, AVariantNamedForAMedusaShapeItCannotRunSaysWhy) {
  const roofline::ModelConfig& m = model(0);
  const auto pv =
      roofline::make_problem(m, roofline::Op::kPv, {roofline::Phase::kMedusa, 1, 1024, 16}, roofline::Dtype::kF16);
  std::string why;
  EXPECT_EQ(choose_variant(gemm_args(pv), "pv_decode_split", 80, &why), nullptr);
  EXPECT_NE(why.find("M must be 1"), std::string::npos) << why;
  const auto qk =
      roofline::make_problem(m, roofline::Op::kQk, {roofline::Phase::kMedusa, 1, 1024, 112}, roofline::Dtype::kF16);
  EXPECT_EQ(choose_variant(gemm_args(qk), "gemv_mma_wide", 86, &why), nullptr);
  EXPECT_NE(why.find("M must be 1 to 64"), std::string::npos) << why;
  EXPECT_NE(choose_variant(gemm_args(qk), "gemm_mma_64x64", 86, &why), nullptr);
  // The ar step (q = 1) keeps its decode kernels.
  const auto pv_ar =
      roofline::make_problem(m, roofline::Op::kPv, {roofline::Phase::kMedusa, 1, 1024, 1}, roofline::Dtype::kF16);
  const kernels::GemmVariant* v = choose_variant(gemm_args(pv_ar), "hand", 86, &why);
  ASSERT_NE(v, nullptr) << why;
  EXPECT_STREQ(v->name, "pv_decode_split");
  // Below sm_80 nothing runs, and the reason says so.
  EXPECT_EQ(choose_variant(gemm_args(qk), "hand", 75, &why), nullptr);
  EXPECT_NE(why.find("sm_75"), std::string::npos) << why;
}

// --allow-variants: `hand` picks the first allowed variant that supports and suits a problem, never another; allowing
// the variant it would pick anyway changes nothing; a point no allowed variant takes says which variants were left out.
TEST(Variants, HandPicksOnlyAmongTheAllowedVariants) {
  const roofline::Plan plan = roofline::make_plan(model(0), roofline::default_sweep());
  std::vector<std::string> all;
  for (const auto& v : variants()) all.emplace_back(v.name);
  for (const Device& device : kDevices) {
    std::set<std::string> defaults;  // what hand picks with every variant allowed
    for (const roofline::GemmProblem& problem : plan.measurements) {
      kernels::GemmArgs args = gemm_args(problem);
      args.sm_count = device.sm_count;
      std::string why;
      const kernels::GemmVariant* v = choose_variant(args, "hand", device.sm, &why);
      ASSERT_NE(v, nullptr) << device.name << ": " << problem.key() << ": " << why;
      defaults.insert(v->name);
      EXPECT_EQ(choose_variant(args, "hand", device.sm, &why, all), v) << problem.key();
    }
    // Without the default picks, hand takes one of the remaining variants, or skips saying which were left out.
    std::vector<std::string> rest;
    for (const auto& name : all) {
      if (defaults.count(name) == 0) rest.push_back(name);
    }
    for (const roofline::GemmProblem& problem : plan.measurements) {
      kernels::GemmArgs args = gemm_args(problem);
      args.sm_count = device.sm_count;
      std::string why;
      const kernels::GemmVariant* v = choose_variant(args, "hand", device.sm, &why, rest);
      if (v != nullptr) {
        EXPECT_EQ(defaults.count(v->name), 0u) << device.name << ": " << problem.key() << " got " << v->name;
      } else {
        EXPECT_NE(why.find("left out by --allow-variants"), std::string::npos) << why;
      }
    }
  }
}

TEST(Variants, AFallbackIsTheNextAllowedVariantInTheTablesOrder) {
  const auto q_proj_ar =
      roofline::make_problem(model(0), roofline::Op::kQProj, {roofline::Phase::kAr, 1, 128, 1}, roofline::Dtype::kF16);
  const auto q_proj_init = roofline::make_problem(model(0), roofline::Op::kQProj, {roofline::Phase::kInit, 16, 4096, 1},
                                                  roofline::Dtype::kF16);
  std::string why;
  kernels::GemmArgs ar = gemm_args(q_proj_ar), init = gemm_args(q_proj_init);
  ar.sm_count = init.sm_count = 108;
  ASSERT_STREQ(choose_variant(ar, "hand", 80, &why)->name, "gemv_mma_splitk");
  ASSERT_STREQ(choose_variant(init, "hand", 80, &why)->name, "gemm_mma_128x128");
  // The large prefill GEMM's variant left out: the next of the table that takes any shape.
  const kernels::GemmVariant* v = choose_variant(init, "hand", 80, &why, std::vector<std::string>{"gemm_mma_64x64"});
  ASSERT_NE(v, nullptr) << why;
  EXPECT_STREQ(v->name, "gemm_mma_64x64");
  // Nothing allowed: every hand point is skipped, and the reason names what hand would have used.
  EXPECT_EQ(choose_variant(ar, "hand", 80, &why, std::vector<std::string>{}), nullptr);
  EXPECT_NE(why.find("left out by --allow-variants (gemv_mma_splitk"), std::string::npos) << why;
  // A variant asked for by name that is not allowed does not run either.
  EXPECT_EQ(choose_variant(ar, "gemv_mma_splitk", 80, &why, std::vector<std::string>{"gemm_mma_64x64"}), nullptr);
  EXPECT_NE(why.find("gemv_mma_splitk is left out by --allow-variants"), std::string::npos) << why;
  // Allowed, but unable to run the problem: the reason is the variant's own.
  EXPECT_EQ(choose_variant(init, "gemv_mma_splitk", 80, &why, std::vector<std::string>{"gemv_mma_splitk"}), nullptr);
  EXPECT_NE(why.find("does not support"), std::string::npos) << why;
}

// roofline/kernel_model mirrors the table's choice without the kernels (the predicted achieved points of --predict need
// no CUDA): over every phase of the default sweep, both models, both dtypes, on every sm_8x architecture the mirror
// names the variant the kernels' own supports() and suits() pick. sm_90 is left out: the wgmma variants' supports()
// asks the driver for its tensor-map encoder, which a machine without a GPU lacks.
TEST(Variants, TheKernelModelChoosesTheVariantHandChooses) {
  for (int which : {0, 1}) {
    roofline::SweepSpec sweep = roofline::default_sweep();
    sweep.phases = roofline::all_phases();
    sweep.dtypes = {roofline::Dtype::kF16, roofline::Dtype::kBF16};
    const roofline::Plan plan = roofline::make_plan(model(which), sweep);
    for (const Device& device : kDevices) {
      if (device.sm >= 90) continue;
      std::set<std::string> seen;
      for (const roofline::GemmProblem& problem : plan.measurements) {
        kernels::GemmArgs args = gemm_args(problem);
        args.sm_count = device.sm_count;
        std::string why;
        const kernels::GemmVariant* v = choose_variant(args, "hand", device.sm, &why);
        ASSERT_NE(v, nullptr) << problem.key() << ": " << why;
        EXPECT_EQ(roofline::hand_variant(problem, device.sm, device.sm_count), v->name)
            << model(which).name << " on " << device.name << ": " << problem.key();
        seen.insert(v->name);
      }
      // Every variant hand takes is one the model describes (so --predict has a point for each), and the sweep
      // reaches the five it takes (so the comparison covers each of them).
      const auto& modeled = roofline::modeled_variants();
      for (const std::string& name : seen) {
        EXPECT_NE(std::find(modeled.begin(), modeled.end(), name), modeled.end()) << name << " on " << device.name;
      }
      EXPECT_EQ(seen.size(), 5u) << device.name;
    }
  }
  // Off the sweep, where the table's lower ranks take over: contexts that are not multiples of 8 (qk_decode_pipe takes
  // qk where gemv_mma_wide cannot), more than 65535 (batch, head) pairs (the persistent stream-K kernels), and linear
  // shapes that only some variants support.
  std::vector<roofline::GemmProblem> off;
  for (int which : {0, 1}) {
    for (const roofline::Setting& setting :
         {roofline::Setting{roofline::Phase::kAr, 1, 100}, roofline::Setting{roofline::Phase::kAr, 3, 1002},
          roofline::Setting{roofline::Phase::kAr, 2048, 128}, roofline::Setting{roofline::Phase::kMedusa, 1, 100, 16},
          roofline::Setting{roofline::Phase::kInit, 1, 100}, roofline::Setting{roofline::Phase::kInit, 2048, 128}}) {
      for (roofline::Op op : {roofline::Op::kQk, roofline::Op::kPv, roofline::Op::kQProj}) {
        off.push_back(roofline::make_problem(model(which), op, setting, roofline::Dtype::kF16));
      }
    }
  }
  roofline::GemmProblem odd =
      roofline::make_problem(model(0), roofline::Op::kQProj, {roofline::Phase::kAr, 3, 128, 1}, roofline::Dtype::kF16);
  for (std::int64_t n : {6, 12, 20, 4100}) {
    for (std::int64_t k : {8, 24, 64, 128, 256, 504, 512, 520}) {
      for (std::int64_t m : {1, 16, 17, 64, 65, 300}) {
        odd.m = odd.a.rows = odd.c.rows = m;
        odd.n = odd.b.rows = odd.c.cols = odd.c.ld = n;
        odd.k = odd.a.cols = odd.a.ld = odd.b.cols = odd.b.ld = k;
        off.push_back(odd);
      }
    }
  }
  // A decode linear batched over more than 65535 matrices: only gemv_mma_pipe's persistent grid takes it.
  roofline::GemmProblem batched = odd;
  batched.m = batched.a.rows = batched.c.rows = 1;
  batched.n = batched.b.rows = batched.c.cols = batched.c.ld = 64;
  batched.k = batched.a.cols = batched.a.ld = batched.b.cols = batched.b.ld = 512;
  batched.batch = batched.a.count = batched.b.count = batched.c.count = 70000;
  batched.a.batch_stride = 512;
  batched.b.batch_stride = 64 * 512;
  batched.c.batch_stride = 64;
  off.push_back(batched);
  std::set<std::string> taken;
  for (const Device& device : kDevices) {
    if (device.sm >= 90) continue;
    for (const roofline::GemmProblem& problem : off) {
      kernels::GemmArgs args = gemm_args(problem);
      args.sm_count = device.sm_count;
      std::string why;
      const kernels::GemmVariant* v = choose_variant(args, "hand", device.sm, &why);
      EXPECT_EQ(roofline::hand_variant(problem, device.sm, device.sm_count), v ? v->name : "")
          << device.name << ": " << problem.key();
      if (v) taken.insert(v->name);
    }
  }
  // These shapes do reach the variants the sweep never does.
  for (const char* name : {"qk_decode_pipe", "pv_decode_fused", "gemv_mma_pipe"})
    EXPECT_EQ(taken.count(name), 1u) << name;
  EXPECT_EQ(roofline::hand_variant(odd, 75, 40), "");
}

}  // namespace
}  // namespace bench

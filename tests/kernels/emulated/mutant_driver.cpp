// Runs one variant on one case on the emulator and says whether the expected defect showed: linked with a mutated
// copy of one kernel file (tests/kernels/emulated/CMakeLists.txt, bench_llama_emu_mutant), it shows that the emulated
// tests catch that defect, with the diagnostic expected of it.
//
//   mutant_driver VARIANT CASE EXPECTED      EXPECTED: finding names separated by '|' (race, unwritten-read,
//                                            pending-access, shared-bounds, global-bounds, barrier, warp-collective,
//                                            deadlock, trap, limit), or wrong-values
// Exit 0 when one of the expected outcomes occurred, 1 when none did (the mutant escaped), 2 on bad usage.
#include <cmath>
#include <cstdio>
#include <string>

#include "bench/point/tolerance.hpp"
#include "emulated_cases.hpp"

namespace {

const char* short_name(cuda_emu::Finding f) {
  switch (f) {
    case cuda_emu::Finding::kRace:
      return "race";
    case cuda_emu::Finding::kUnwrittenRead:
      return "unwritten-read";
    case cuda_emu::Finding::kPendingAccess:
      return "pending-access";
    case cuda_emu::Finding::kSharedBounds:
      return "shared-bounds";
    case cuda_emu::Finding::kGlobalBounds:
      return "global-bounds";
    case cuda_emu::Finding::kBarrier:
      return "barrier";
    case cuda_emu::Finding::kWarpCollective:
      return "warp-collective";
    case cuda_emu::Finding::kDeadlock:
      return "deadlock";
    case cuda_emu::Finding::kLimit:
      return "limit";
    case cuda_emu::Finding::kTrap:
      return "trap";
    case cuda_emu::Finding::kUnimplemented:
      return "unimplemented";
    case cuda_emu::Finding::kLaunch:
      return "launch";
  }
  return "?";
}

bool expected(const std::string& list, const std::string& outcome) {
  return ("|" + list + "|").find("|" + outcome + "|") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s VARIANT CASE EXPECTED\n", argv[0]);
    return 2;
  }
  const std::string variant = argv[1], case_name = argv[2], expect = argv[3];
  cuda_emu::reset();
  cuda_emu::device().sm_count = emulated::kSmCount;
  const auto all = emulated::cases(roofline::Dtype::kF16);
  const emulated::Outcome out =
      emulated::run_twice(emulated::variant_named(variant), emulated::case_named(all, case_name), 1);
  bool caught = false;
  for (const auto& d : out.findings) caught = caught || expected(expect, short_name(d.finding));
  const double tol = bench::tolerance(roofline::Dtype::kF16);
  const bool wrong = !(out.first <= tol) || (out.runs > 1 && !(out.second <= tol));  // NaN counts as wrong
  caught = caught || (expected(expect, "wrong-values") && wrong);
  std::printf("%s on %s: status %s, relative error %g (first run)", variant.c_str(), case_name.c_str(),
              cudaGetErrorName(out.status), out.first);
  if (out.runs > 1) std::printf(" and %g (second)", out.second);
  std::printf(", %zu findings\n", out.findings.size());
  std::printf("%s: expected %s\n", caught ? "CAUGHT" : "ESCAPED", expect.c_str());
  return caught ? 0 : 1;
}

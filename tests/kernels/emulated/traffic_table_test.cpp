// The memory traffic of every sm_80 variant at representative shapes, counted by the emulator (docs/emulator.md,
// "Memory traffic") on the kernels compiled at -O0, so that plain loads and stores keep their source width. Printed as
// a Markdown table; BENCH_LLAMA_TRAFFIC_TABLE=path writes it there too, and BENCH_LLAMA_TRAFFIC_SITES=variant prints
// that variant's traffic source line by source line. A model of requests, never a time. The same counts, at every
// emulated shape, hold the kernel model (roofline/kernel_model) to the kernels it describes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "emulated_cases.hpp"
#include "emulated_problem.hpp"
#include "emulator/emulator.hpp"
#include "kernels/variants.cuh"
#include "roofline/kernel_model.hpp"
#include "roofline/operators.hpp"

namespace emulated {
namespace {

using roofline::Dtype;

// Shapes a variant is measured at, when it supports them: decode linears at b 1, 16 and 64; decode attention, with
// and without grouped query heads; a tile-multiple prefill linear and prefill attention.
const std::vector<std::string> kShapes = {"q_proj ar b1",
                                          "down_proj ar b16",
                                          "gate_proj ar b64",
                                          "qk ar b2 s200",
                                          "pv ar b1 s1000",
                                          "qk ar b1 s100 (8 per KV head)",
                                          "pv ar b1 s128 (8 per KV head)",
                                          "256x256x128",
                                          "qk init b1 s64"};

// One variant's launch at one shape, its traffic summed over every kernel it launches.
struct Row {
  std::string variant, shape;
  roofline::GemmProblem problem;
  std::size_t launches = 0;
  std::int64_t bytes_min = 0;
  std::uint64_t footprint = 0;                     // bytes of the distinct global sectors touched (a perfect L2)
  std::uint64_t sector_bytes = 0;                  // bytes of every sector served, request by request
  std::uint64_t load_fetched = 0, load_asked = 0;  // global loads (plain and cp.async): sector bytes, lanes' bytes
  std::uint64_t store_fetched = 0, store_asked = 0;
  std::uint64_t ldmatrix_requests = 0, ldmatrix_wavefronts = 0;
  std::uint64_t shared_wavefronts = 0, shared_ideal = 0;  // plain and cp.async
  double rel_error = 0;
};

// A request of `bytes` bytes needs at least this many wavefronts: 128 bytes' worth of lanes a pass.
std::uint64_t ideal_wavefronts(std::uint64_t requests, std::uint64_t bytes) {
  return std::max<std::uint64_t>(requests, (bytes + 127) / 128);
}

Row measure(const kernels::GemmVariant& variant, const Case& c) {
  Row row{variant.name, c.name, c.problem};
  row.bytes_min = roofline::cost_of(c.problem).bytes_min;
  EmulatedProblem problem(c.problem, 42, kSmCount);
  const GlobalBuffer workspace = garbage_workspace(variant.workspace_bytes(problem.args()), 7);
  cuda_emu::take_traffic();
  cuda_emu::take_footprints();
  cuda_emu::options().count_traffic = true;
  const cudaError_t status = variant.launch(problem.args(workspace.get()), nullptr);
  cuda_emu::options().count_traffic = false;
  EXPECT_EQ(status, cudaSuccess) << variant.name << " at " << c.name;
  row.rel_error = problem.relative_error();
  const std::vector<cuda_emu::TrafficCount> counts = cuda_emu::take_traffic();
  const char* sites = std::getenv("BENCH_LLAMA_TRAFFIC_SITES");  // a variant's name: print its sites, line by line
  if (sites && variant.name == std::string(sites)) {
    for (const cuda_emu::TrafficCount& t : counts) {
      std::printf("%s | %s | %s %s %s | requests %llu, lane bytes %llu, sectors %llu, wavefronts %llu\n",
                  c.name.c_str(), t.where.c_str(), t.shared ? "shared" : "global", t.instruction.c_str(),
                  t.write ? "write" : "read", static_cast<unsigned long long>(t.requests),
                  static_cast<unsigned long long>(t.bytes), static_cast<unsigned long long>(t.sectors),
                  static_cast<unsigned long long>(t.wavefronts));
    }
  }
  for (const cuda_emu::TrafficCount& t : counts) {
    if (!t.shared) {
      row.sector_bytes += 32 * t.sectors;
      (t.write ? row.store_fetched : row.load_fetched) += 32 * t.sectors;
      (t.write ? row.store_asked : row.load_asked) += t.bytes;
    } else if (t.instruction == "ldmatrix") {
      row.ldmatrix_requests += t.requests;
      row.ldmatrix_wavefronts += t.wavefronts;
    } else {
      row.shared_wavefronts += t.wavefronts;
      row.shared_ideal += ideal_wavefronts(t.requests, t.bytes);
    }
  }
  for (const cuda_emu::TrafficFootprint& f : cuda_emu::take_footprints()) {
    row.footprint += 32 * (f.sectors_read + f.sectors_written);
    ++row.launches;
  }
  return row;
}

double ratio(std::uint64_t num, std::uint64_t den) {
  return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : std::nan("");
}

std::string cell(double value) {
  if (std::isnan(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

std::string table(const std::vector<Row>& rows) {
  std::ostringstream out;
  out << "| variant | shape | footprint / minimum bytes | sector bytes / footprint | loads: fetched / asked | "
         "stores: fetched / asked | ldmatrix wavefronts per request | shared wavefronts / ideal |\n"
         "|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    out << "| " << r.variant << " | " << r.shape << " | "
        << cell(ratio(r.footprint, static_cast<std::uint64_t>(r.bytes_min))) << " | "
        << cell(ratio(r.sector_bytes, r.footprint)) << " | " << cell(ratio(r.load_fetched, r.load_asked)) << " | "
        << cell(ratio(r.store_fetched, r.store_asked)) << " | "
        << cell(ratio(r.ldmatrix_wavefronts, r.ldmatrix_requests)) << " | "
        << cell(ratio(r.shared_wavefronts, r.shared_ideal)) << " |\n";
  }
  return out.str();
}

// The table between the markers of docs/kernel_traffic.md.
std::string documented_table() {
  std::ifstream doc(std::string(BENCH_LLAMA_SOURCE_DIR) + "/docs/kernel_traffic.md");
  std::stringstream whole;
  whole << doc.rdbuf();
  const std::string text = whole.str();
  const std::string begin = "<!-- table: begin -->\n", end = "<!-- table: end -->";
  const std::size_t from = text.find(begin), to = text.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from) return "(docs/kernel_traffic.md has no table)";
  return text.substr(from + begin.size(), to - from - begin.size());
}

// The kernel model (roofline/kernel_model) describes the variants from outside; at every emulated shape (the kernel
// tests' cases, odd ones included) its launches, its loads request by request and its footprint are the emulator's
// counts exactly. Stores are left out: the emulator counts them at host width (a __half2 store is two), the model at
// the GPU's.
// `measured` holds the table's rows, measured already.
void expect_the_kernel_model_counts_what_the_emulator_counts(const std::vector<Row>& measured) {
  roofline::GpuTarget emulated;
  emulated.sm = kSm;
  emulated.sm_count = kSmCount;
  const cuda_emu::DeviceModel& device = cuda_emu::device();  // its own residency limits, and no register file
  emulated.limits = roofline::ResidencyLimits{device.max_threads_per_sm, device.max_blocks_per_sm,
                                              static_cast<int>(device.shared_per_sm), 0, 0};
  const auto& modeled = roofline::modeled_variants();
  std::size_t compared = 0;
  for (const kernels::GemmVariant& variant : kernels::gemm_variants()) {
    if (std::find(modeled.begin(), modeled.end(), variant.name) == modeled.end()) continue;
    for (const Case& c : cases(Dtype::kF16)) {
      EmulatedProblem shape_only(c.problem, 42, kSmCount);
      if (!std::string(variant.supports(shape_only.args(), kSm)).empty()) continue;
      const auto known = std::find_if(measured.begin(), measured.end(),
                                      [&](const Row& m) { return m.variant == variant.name && m.shape == c.name; });
      const Row r = known != measured.end() ? *known : measure(variant, c);
      SCOPED_TRACE("kernel model: " + r.variant + " at " + r.shape);
      const roofline::KernelPlan plan = roofline::plan_variant(r.variant, r.problem, emulated);
      EXPECT_EQ(plan.launches.size(), r.launches);
      EXPECT_EQ(plan.load_sector_bytes, static_cast<std::int64_t>(r.load_fetched));
      EXPECT_EQ(plan.footprint_bytes, static_cast<std::int64_t>(r.footprint));
      ++compared;
    }
  }
  std::printf("kernel model: %zu variant x shape rows compared with the emulator's launches, loads and footprints\n",
              compared);
  EXPECT_GE(compared, 100u);
}

TEST(TrafficTable, EverySm80VariantAtRepresentativeShapes) {
  cuda_emu::reset();
  cuda_emu::options().print_limit = 0;
  cuda_emu::device().sm_count = kSmCount;
  const std::vector<Case> all = cases(Dtype::kF16);
  std::vector<Row> rows;
  for (const kernels::GemmVariant& variant : kernels::gemm_variants()) {
    if (variant.min_sm > kSm) continue;  // the Hopper variants are not emulated
    for (const std::string& name : kShapes) {
      const Case& c = case_named(all, name);
      EmulatedProblem shape_only(c.problem, 42, kSmCount);
      if (!std::string(variant.supports(shape_only.args(), kSm)).empty()) continue;
      rows.push_back(measure(variant, c));
      EXPECT_LE(rows.back().rel_error, 1e-2) << variant.name << " at " << name;
    }
  }
  expect_the_kernel_model_counts_what_the_emulator_counts(rows);
  for (const auto& d : cuda_emu::take_diagnostics()) ADD_FAILURE() << d.message;
  cuda_emu::reset();
  const std::string text = table(rows);
  std::cout << text;

  // The regression guards, each what a kernel's design promises (its file's header):
  for (const Row& r : rows) {
    SCOPED_TRACE(r.variant + " at " + r.shape);
    // every ldmatrix conflict-free: each 8x8 matrix covers the 32 banks once;
    if (r.ldmatrix_requests > 0) {
      EXPECT_EQ(r.ldmatrix_wavefronts, 4 * r.ldmatrix_requests);
    }
    // no uncoalesced global load: at most 1% of the bytes fetched go unused (the ends of rows that are not whole
    // sectors, as P's 2000-byte rows at s 1000);
    EXPECT_LE(static_cast<double>(r.load_fetched), 1.01 * static_cast<double>(r.load_asked));
    // no shared-memory bank conflict, but pv_decode_split's reduction array (docs/kernel_traffic.md says why);
    if (r.variant != "pv_decode_split") {
      EXPECT_EQ(r.shared_wavefronts, r.shared_ideal);
    }
    // the kernels without a workspace move every byte of the problem once from DRAM, with a cache that keeps them.
    if (r.variant.rfind("gemm_mma_", 0) == 0 || r.variant == "gemv_mma_splitk" || r.variant == "gemv_mma_wide" ||
        r.variant == "qk_decode_pipe") {
      EXPECT_LE(static_cast<double>(r.footprint), 1.01 * static_cast<double>(r.bytes_min));
    }
  }
  // docs/kernel_traffic.md holds this table, so that a change of any kernel's traffic shows in review.
  if (const char* path = std::getenv("BENCH_LLAMA_TRAFFIC_TABLE"); path && *path) {
    std::ofstream(path) << text;
  } else {
    EXPECT_EQ(documented_table(), text)
        << "the kernels' traffic changed: run BENCH_LLAMA_TRAFFIC_TABLE=/tmp/table.md kernels_traffic_table, check "
           "the change, and put the new table between the markers of docs/kernel_traffic.md";
  }
}

}  // namespace
}  // namespace emulated

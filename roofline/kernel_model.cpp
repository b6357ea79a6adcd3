#include "roofline/kernel_model.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

namespace roofline {
namespace {

constexpr int kSectorBytes = 32;

// --- the architecture's limits -----------------------------------------------------------------------------------

// CUDA C++ Programming Guide, "Technical Specifications per Compute Capability": resident threads, blocks and
// shared memory per multiprocessor; 64 K 32-bit registers per multiprocessor on all four; 1 KiB of shared memory
// reserved per resident block (sm_80 onwards).
struct ArchLimits {
  int sm;
  int threads, blocks, shared_bytes;
};
constexpr ArchLimits kArchLimits[] = {
    {80, 2048, 32, 164 * 1024},
    {86, 1536, 16, 100 * 1024},
    {89, 1536, 24, 100 * 1024},
    {90, 2048, 32, 228 * 1024},
};
constexpr int kRegistersPerSm = 64 * 1024;
constexpr int kRegisterUnit = 256;  // registers are given to a warp in units of 256
constexpr int kSharedReservedPerBlock = 1024;

const ArchLimits* arch_limits(int sm) {
  for (const ArchLimits& a : kArchLimits)
    if (a.sm == sm) return &a;
  return nullptr;
}

// --- the kernels' resources ----------------------------------------------------------------------------------------

// Registers per thread of each modeled kernel as the build reports them (cuobjdump --dump-resource-usage), the
// largest over its instantiations (dtypes, B layouts, row tiles), for sm_80, sm_86, sm_89 and sm_90a.
// tests/kernels/test_sass.py checks every number against the build: change them together.
struct KernelRegisters {
  const char* kernel;
  int sm80, sm86, sm89, sm90;
};
// registers: begin
// clang-format off
constexpr KernelRegisters kRegisters[] = {
    {"gemv_mma_splitk", 110, 110, 110, 110},
    {"gemv_mma_wide", 106, 106, 106, 106},
    {"pv_partial", 43, 43, 43, 32},
    {"pv_reduce", 32, 40, 40, 32},
    {"gemm_mma_128x128", 126, 126, 126, 124},
    {"gemm_mma_64x64", 96, 96, 96, 96},
    {"gemm_mma_w64_128x128", 238, 238, 238, 242},
};
// clang-format on
// registers: end

int registers_of(const std::string& kernel, int sm) {
  for (const KernelRegisters& k : kRegisters) {
    if (kernel == k.kernel) return sm >= 90 ? k.sm90 : sm >= 89 ? k.sm89 : sm >= 86 ? k.sm86 : k.sm80;
  }
  throw std::logic_error("no registers recorded for kernel " + kernel);
}

// --- sectors -------------------------------------------------------------------------------------------------------

// Bytes of the 32-byte sectors that [offset, offset + bytes) spans.
std::int64_t span_sector_bytes(std::int64_t offset, std::int64_t bytes) {
  if (bytes <= 0) return 0;
  return ((offset + bytes - 1) / kSectorBytes - offset / kSectorBytes + 1) * kSectorBytes;
}

// Element offset of row `row` of the matrix of (batch, head) index z of an operand.
std::int64_t row_offset(const Operand& op, const GemmProblem& p, std::int64_t z, std::int64_t row) {
  const std::int64_t batch = z / p.heads, head = z % p.heads;
  return batch * op.batch_stride + (head / op.head_group) * op.head_stride + row * op.ld;
}

// Whether every row of every matrix of the operand starts at the same place within a sector (device buffers are
// 256-byte aligned), so that a segment's sectors do not depend on its row.
bool rows_aligned(const Operand& op, int element_bytes) {
  return (op.ld * element_bytes) % kSectorBytes == 0 && (op.batch_stride * element_bytes) % kSectorBytes == 0 &&
         (op.head_stride * element_bytes) % kSectorBytes == 0;
}

// Sector bytes of the segments [c0, c1) (elements) of rows [0, rows) of every (batch, head) matrix, one request per
// segment of a row: the loads of a tile or chunk of columns of each row.
std::int64_t rows_segment_sector_bytes(const Operand& op, const GemmProblem& p, std::int64_t rows, std::int64_t c0,
                                       std::int64_t c1, int element_bytes = 2) {
  if (rows <= 0 || c1 <= c0) return 0;
  const std::int64_t bytes = (c1 - c0) * element_bytes;
  if (rows_aligned(op, element_bytes)) {
    return p.batch_count() * rows * span_sector_bytes(c0 * element_bytes, bytes);
  }
  std::int64_t total = 0;
  for (std::int64_t z = 0; z < p.batch_count(); ++z) {
    for (std::int64_t r = 0; r < rows; ++r) {
      total += span_sector_bytes((row_offset(op, p, z, r) + c0) * element_bytes, bytes);
    }
  }
  return total;
}

// The same summed over consecutive column segments of `width` elements covering [0, cols).
std::int64_t rows_chunked_sector_bytes(const Operand& op, const GemmProblem& p, std::int64_t rows, std::int64_t cols,
                                       std::int64_t width) {
  std::int64_t total = 0;
  for (std::int64_t c0 = 0; c0 < cols; c0 += width) {
    total += rows_segment_sector_bytes(op, p, rows, c0, std::min(c0 + width, cols));
  }
  return total;
}

// Distinct bytes of the sectors holding rows [0, rows) x columns [0, cols) of every distinct matrix of the operand.
// Exact (a set of sectors) up to a million sectors; beyond that, rows that share a sector count it once per row.
std::int64_t distinct_sector_bytes(const Operand& op, const GemmProblem& p, std::int64_t rows, std::int64_t cols,
                                   int element_bytes = 2) {
  const std::int64_t row_bytes = cols * element_bytes;
  if (rows_aligned(op, element_bytes) && row_bytes % kSectorBytes == 0) {
    return op.count * rows * row_bytes;  // whole sectors, none shared between rows or matrices
  }
  std::set<std::int64_t> matrices;  // element offsets of the distinct matrices (a group of heads shares one)
  for (std::int64_t z = 0; z < p.batch_count(); ++z) matrices.insert(row_offset(op, p, z, 0));
  const std::int64_t estimate = static_cast<std::int64_t>(matrices.size()) * rows * (row_bytes / kSectorBytes + 2);
  std::int64_t total = 0;
  if (estimate > (1 << 20)) {
    for (const std::int64_t base : matrices) {
      for (std::int64_t r = 0; r < rows; ++r) total += span_sector_bytes((base + r * op.ld) * element_bytes, row_bytes);
    }
    return total;
  }
  std::set<std::int64_t> sectors;
  for (const std::int64_t base : matrices) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t begin = (base + r * op.ld) * element_bytes;
      for (std::int64_t s = begin / kSectorBytes; s <= (begin + row_bytes - 1) / kSectorBytes; ++s) sectors.insert(s);
    }
  }
  return static_cast<std::int64_t>(sectors.size()) * kSectorBytes;
}

// Stores of pairs of adjacent elements (4 bytes) by the m16n8 fragment layout: each n8 tile of a row is one 16-byte
// segment of one request.
std::int64_t fragment_store_sector_bytes(const GemmProblem& p) {
  return rows_chunked_sector_bytes(p.c, p, p.m, p.n, 8);
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// --- waves ---------------------------------------------------------------------------------------------------------

void set_waves(KernelPlan& plan, const GpuTarget& gpu) {
  const KernelLaunch& main = plan.launches.front();
  plan.blocks_per_sm = resident_blocks(gpu.sm, main.threads, main.registers, main.shared_bytes);
  const std::int64_t slots = static_cast<std::int64_t>(gpu.sm_count) * std::max(plan.blocks_per_sm, 1);
  plan.waves = ceil_div(main.blocks, slots);
  plan.wave_efficiency =
      plan.waves > 0 ? static_cast<double>(main.blocks) / static_cast<double>(plan.waves * slots) : 0.0;
}

// --- the variants ----------------------------------------------------------------------------------------------

bool operand_ok(const Operand& op) {
  return op.ld % 8 == 0 && op.batch_stride % 8 == 0 && op.head_stride % 8 == 0 && op.head_group >= 1;
}
bool operands_ok(const GemmProblem& p) { return operand_ok(p.a) && operand_ok(p.b) && operand_ok(p.c); }
bool nt(const GemmProblem& p) { return p.b_layout == BLayout::kNT; }

// gemv_mma (kernels/gemv_mma.cu): WARPS_N x WARPS_K warps, NT n8 tiles per warp, K split over the WARPS_K warps in
// k32 chunks, reduced in shared memory. SplitK: 1 x 8 warps, 16 columns a block; Wide: 4 x 2, 32 columns.
struct GemvShape {
  const char* name;
  int warps_n, warps_k, nt;
  int threads() const { return warps_n * warps_k * 32; }
  int block_n() const { return warps_n * nt * 8; }
};
constexpr GemvShape kSplitK{"gemv_mma_splitk", 1, 8, 2};
constexpr GemvShape kWide{"gemv_mma_wide", 4, 2, 1};

bool gemv_supports(const GemmProblem& p) {
  return p.m >= 1 && p.m <= 64 && nt(p) && p.n >= 1 && p.k >= 1 && p.k % 8 == 0 && p.n % 2 == 0 && operands_ok(p) &&
         p.batch_count() <= 65535;
}

KernelPlan plan_gemv(const GemvShape& s, const GemmProblem& p, const GpuTarget& gpu) {
  KernelPlan plan;
  plan.variant = s.name;
  const std::int64_t blocks_x = ceil_div(p.n, s.block_n());
  const std::int64_t row_tiles = ceil_div(p.m, 16);
  plan.launches.push_back({s.name, blocks_x * p.batch_count(), s.threads(), registers_of(s.name, gpu.sm),
                           static_cast<int>(s.warps_n * s.warps_k * row_tiles * s.nt * 4 * 32 * 4)});
  // B: every valid row, one k32 chunk a request; A: its valid rows, by every warp column of every block.
  plan.load_sector_bytes = rows_chunked_sector_bytes(p.b, p, p.n, p.k, 32) +
                           blocks_x * s.warps_n * rows_chunked_sector_bytes(p.a, p, p.m, p.k, 32);
  plan.store_sector_bytes = fragment_store_sector_bytes(p);
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, p.m, p.k) + distinct_sector_bytes(p.b, p, p.n, p.k) +
                         distinct_sector_bytes(p.c, p, p.m, p.n);
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes);
  plan.tensor_flops = 2.0 * static_cast<double>(row_tiles * 16) * static_cast<double>(blocks_x * s.block_n()) *
                      static_cast<double>(ceil_div(p.k, 32) * 32) * static_cast<double>(p.batch_count());
  set_waves(plan, gpu);
  return plan;
}

// pv_decode_split (kernels/pv_decode_split.cu): 256 threads, d/8 threads a row of V, the context split so that the
// grid has about 4 blocks per SM; fp32 partial sums in a workspace, added by a second launch.
constexpr int kPvThreads = 256;
constexpr int kPvSumRow = 12;
constexpr int kPvReduceThreads = 128;

std::int64_t pv_splits(const GemmProblem& p, int sm_count) {
  const std::int64_t pairs = p.batch_count();
  const std::int64_t wanted = (4LL * std::max(sm_count, 1) + pairs - 1) / pairs;
  return std::clamp<std::int64_t>(wanted, 1, std::max<std::int64_t>(p.k / 64, 1));
}

bool pv_supports(const GemmProblem& p) {
  return p.m == 1 && !nt(p) && p.n % 8 == 0 && p.n >= 8 && p.n <= 256 && p.k >= 1 && p.b.ld % 8 == 0 &&
         p.b.batch_stride % 8 == 0 && p.b.head_stride % 8 == 0 && p.c.batch_stride % 2 == 0 &&
         p.c.head_stride % 2 == 0 && p.batch_count() <= 65535;
}

// P's loads: each thread of row group g reads P[s] for s = begin + g, begin + g + groups, ...; a warp holds the
// consecutive groups [g0, g1], so each of its requests reads a run of consecutive elements of P.
std::int64_t pv_probability_sector_bytes(const GemmProblem& p, std::int64_t splits) {
  const std::int64_t chunks = p.n / 8, groups = kPvThreads / chunks, per_split = ceil_div(p.k, splits);
  std::map<std::int64_t, std::int64_t> by_alignment;  // a matrix's byte offset within a sector -> its sector bytes
  std::int64_t total = 0;
  for (std::int64_t z = 0; z < p.batch_count(); ++z) {
    const std::int64_t base = row_offset(p.a, p, z, 0) * 2;
    const auto known = by_alignment.find(base % kSectorBytes);
    if (known != by_alignment.end()) {
      total += known->second;
      continue;
    }
    std::int64_t bytes = 0;
    for (std::int64_t split = 0; split < splits; ++split) {
      const std::int64_t begin = split * per_split, end = std::min(begin + per_split, p.k);
      for (int warp = 0; warp < kPvThreads / 32; ++warp) {
        const std::int64_t g0 = (warp * 32) / chunks, g1 = std::min((warp * 32 + 31) / chunks, groups - 1);
        if (g0 > g1) continue;
        for (std::int64_t first = begin + g0; first < end; first += groups) {
          const std::int64_t last = std::min(first + (g1 - g0), end - 1);
          bytes += span_sector_bytes(base % kSectorBytes + first * 2, (last - first + 1) * 2);
        }
      }
    }
    by_alignment[base % kSectorBytes] = bytes;
    total += bytes;
  }
  return total;
}

KernelPlan plan_pv_split(const GemmProblem& p, const GpuTarget& gpu) {
  KernelPlan plan;
  plan.variant = "pv_decode_split";
  const std::int64_t splits = pv_splits(p, gpu.sm_count);
  const std::int64_t workspace = splits > 1 ? p.batch_count() * splits * p.n * 4 : 0;
  plan.launches.push_back({"pv_partial", splits * p.batch_count(), kPvThreads, registers_of("pv_partial", gpu.sm),
                           kPvThreads * kPvSumRow * 4});
  if (splits > 1) {
    plan.launches.push_back({"pv_reduce", p.batch_count(), kPvReduceThreads, registers_of("pv_reduce", gpu.sm), 0});
  }
  plan.load_sector_bytes = rows_segment_sector_bytes(p.b, p, p.k, 0, p.n) + pv_probability_sector_bytes(p, splits) +
                           workspace;  // the reduction reads each (split, column) once, in whole sectors
  plan.store_sector_bytes = splits > 1 ? workspace + p.batch_count() * span_sector_bytes(0, p.n * 2)
                                       : p.batch_count() * span_sector_bytes(0, p.n * 2);
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, 1, p.k) + distinct_sector_bytes(p.b, p, p.k, p.n) +
                         distinct_sector_bytes(p.c, p, 1, p.n) + 2 * workspace;
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes);
  set_waves(plan, gpu);
  return plan;
}

// gemm_mma (kernels/gemm_mma.cu): BM x BN tiles, BK = 32, a 4-stage cp.async ring, one block a tile, tiles walked in
// groups of 8 tile rows.
struct TileShape {
  const char* name;
  int bm, bn, bk, threads, shared_bytes;
};
constexpr TileShape kTile128{"gemm_mma_128x128", 128, 128, 32, 256, 4 * (128 * 32 * 2 + 128 * 32 * 2)};
constexpr TileShape kTile64{"gemm_mma_64x64", 64, 64, 32, 128, 4 * (64 * 32 * 2 + 64 * 32 * 2)};
// gemm_mma_w64 (kernels/gemm_mma_w64.cu): 128 x 128 x 64 tiles, 4 warps of 64 x 64, 3 stages; the same tile order and
// the same requests per row of a tile (its copies are 128 bytes a row), in 64-wide chunks of K.
constexpr TileShape kTileW64{"gemm_mma_w64_128x128", 128, 128, 64, 128, 3 * (128 * 64 * 2 + 128 * 64 * 2)};
constexpr std::int64_t kTileGroup = 8;

bool gemm_supports(const GemmProblem& p, int bm, int bn) {
  return p.m >= 1 && p.n >= 1 && p.k >= 1 && p.k % 8 == 0 && p.n % 8 == 0 && operands_ok(p) &&
         p.batch_count() <= 65535 && ceil_div(p.m, bm) * ceil_div(p.n, bn) <= 0x7FFFFFFF;
}

bool tiles_fill(const GemmProblem& p, int bm, int bn, int sm_count) {
  return ceil_div(p.m, bm) * ceil_div(p.n, bn) * p.batch_count() >= sm_count;
}

// DRAM bytes of the tile GEMM when its operands do not fit in L2: the blocks of a wave run their k loops together, so
// a wave reads each tile row of A and each tile column of B it covers once; nothing is kept from one wave to the
// next. Blocks start in grid order (tiles of a matrix in the grouped order, then the next matrix), a wave being the
// next `slots` of them.
class WaveBytes {
 public:
  WaveBytes(const TileShape& t, const GemmProblem& p, std::int64_t slots)
      : t_(t),
        p_(p),
        slots_(slots),
        grid_m_(ceil_div(p.m, t.bm)),
        grid_n_(ceil_div(p.n, t.bn)),
        per_matrix_(grid_m_ * grid_n_) {}

  double total() {
    double bytes = 2.0 * static_cast<double>(p_.m * p_.n * p_.batch_count());  // C, written once
    if (p_.b.head_group == 1) {
      // No matrix is shared between (batch, head) pairs, so a matrix's bytes depend only on where the wave cuts fall
      // in it: computed once per cut position.
      std::map<std::int64_t, double> by_phase;
      for (std::int64_t z = 0; z < p_.batch_count(); ++z) {
        const std::int64_t phase = (slots_ - (z * per_matrix_) % slots_) % slots_;
        auto it = by_phase.find(phase);
        if (it == by_phase.end()) it = by_phase.emplace(phase, matrix_bytes(phase, 0, nullptr)).first;
        bytes += it->second;
      }
      return bytes;
    }
    // Grouped-query heads share B: a wave reads a tile column of a shared matrix once, whichever head asks.
    std::vector<std::pair<std::int64_t, std::int64_t>> wave_cols;
    for (std::int64_t z = 0; z < p_.batch_count(); ++z) {
      const std::int64_t phase = (slots_ - (z * per_matrix_) % slots_) % slots_;
      if (phase == 0) wave_cols.clear();
      bytes += matrix_bytes(phase, row_offset(p_.b, p_, z, 0), &wave_cols);
    }
    return bytes;
  }

 private:
  // Bytes of rows [first, first + count) of a dimension cut in tiles of `tile` rows, `extent` in all, times `row`.
  static double band(std::int64_t first, std::int64_t count, std::int64_t tile, std::int64_t extent, double row) {
    return static_cast<double>(std::max<std::int64_t>(0, std::min(extent, (first + count) * tile) - first * tile)) *
           row;
  }

  // One matrix, whose waves are cut at its tiles phase, phase + slots, ...; `shared` carries the (B matrix, tile
  // column) pairs the current wave has read across matrices (grouped-query heads), or is null.
  double matrix_bytes(std::int64_t phase, std::int64_t b_matrix,
                      std::vector<std::pair<std::int64_t, std::int64_t>>* shared) const {
    const double row = 2.0 * static_cast<double>(p_.k);  // one row of A, or of B as [N x K] (a column as [K x N])
    const std::int64_t width = kTileGroup * grid_n_;
    std::vector<std::pair<std::int64_t, std::int64_t>> own;
    std::vector<std::pair<std::int64_t, std::int64_t>>& cols = shared ? *shared : own;
    double total = 0;
    std::int64_t next_cut = phase > 0 ? phase : slots_;
    for (std::int64_t local = 0; local < per_matrix_;) {
      const std::int64_t group = local / width, first_m = group * kTileGroup;
      const std::int64_t group_rows = std::min(grid_m_ - first_m, kTileGroup);
      const std::int64_t end = std::min({next_cut, (group + 1) * width, per_matrix_});
      const std::int64_t count = end - local;
      // Its tile rows: all of the group's, or `count` of them from row0 on, wrapping to the group's first.
      const std::int64_t row0 = count >= group_rows ? 0 : (local % width) % group_rows;
      const std::int64_t rows = std::min(count, group_rows), straight = std::min(rows, group_rows - row0);
      total += band(first_m + row0, straight, t_.bm, p_.m, row) + band(first_m, rows - straight, t_.bm, p_.m, row);
      for (std::int64_t c = (local % width) / group_rows; c <= ((end - 1) % width) / group_rows; ++c) {
        if (std::find(cols.begin(), cols.end(), std::make_pair(b_matrix, c)) != cols.end()) continue;
        cols.emplace_back(b_matrix, c);
        total += band(c, 1, t_.bn, p_.n, row);
      }
      local = end;
      if (local == next_cut) {
        cols.clear();
        next_cut += slots_;
      }
    }
    return total;
  }

  const TileShape& t_;
  const GemmProblem& p_;
  std::int64_t slots_, grid_m_, grid_n_, per_matrix_;
};

KernelPlan plan_gemm(const TileShape& t, const GemmProblem& p, const GpuTarget& gpu) {
  KernelPlan plan;
  plan.variant = t.name;
  const std::int64_t grid_m = ceil_div(p.m, t.bm), grid_n = ceil_div(p.n, t.bn);
  plan.launches.push_back(
      {t.name, grid_m * grid_n * p.batch_count(), t.threads, registers_of(t.name, gpu.sm), t.shared_bytes});
  // Each tile reads its rows of A and of B in BK-wide chunks, one request a chunk of a row (zero-filled rows and
  // columns past the end read nothing).
  const std::int64_t a = grid_n * rows_chunked_sector_bytes(p.a, p, p.m, p.k, t.bk);
  std::int64_t b = 0;
  if (nt(p)) {
    b = grid_m * rows_chunked_sector_bytes(p.b, p, p.n, p.k, t.bk);
  } else {  // [K x N]: a tile's BN columns of each row k
    for (std::int64_t c = 0; c < grid_n; ++c) {
      b += grid_m * rows_segment_sector_bytes(p.b, p, p.k, c * t.bn, std::min<std::int64_t>((c + 1) * t.bn, p.n));
    }
  }
  plan.load_sector_bytes = a + b;
  plan.store_sector_bytes = fragment_store_sector_bytes(p);
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, p.m, p.k) +
                         (nt(p) ? distinct_sector_bytes(p.b, p, p.n, p.k) : distinct_sector_bytes(p.b, p, p.k, p.n)) +
                         distinct_sector_bytes(p.c, p, p.m, p.n);
  set_waves(plan, gpu);
  const std::int64_t slots = static_cast<std::int64_t>(gpu.sm_count) * std::max(plan.blocks_per_sm, 1);
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes) <= gpu.l2_bytes
                        ? static_cast<double>(plan.footprint_bytes)
                        : std::max(static_cast<double>(plan.footprint_bytes), WaveBytes(t, p, slots).total());
  plan.tensor_flops = 2.0 * static_cast<double>(plan.launches.front().blocks) * t.bm * t.bn *
                      static_cast<double>(ceil_div(p.k, t.bk) * t.bk);
  return plan;
}

// --- hand's table ----------------------------------------------------------------------------------------------

// The rows of kernels/variants.cu's table in rank order, each with the mirror of its supports() and suits() on the
// problem's shape (alignment of the device buffers is assumed: cudaMalloc's 256 bytes). Variants whose traffic is
// not modeled still take part, so that the choice is the kernels' own.
struct Row {
  const char* name;
  int min_sm, max_sm;
  bool (*chooses)(const GemmProblem& p, int sm_count);
  bool modeled;
};

bool sm90_tile_gemm(const GemmProblem& p) {
  return nt(p) && p.m >= 1 && p.n >= 1 && p.k >= 1 && p.k % 8 == 0 && p.n % 2 == 0 && operands_ok(p);
}

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"gemv_mma_splitk", 80, 0, [](const GemmProblem& p, int) { return gemv_supports(p) && p.k >= 512; }, true},
      {"gemv_mma_wide", 80, 0, [](const GemmProblem& p, int) { return gemv_supports(p) && p.k < 512; }, true},
      {"pv_decode_split", 80, 0, [](const GemmProblem& p, int) { return pv_supports(p); }, true},
      {"gemm_wgmma_128x128", 90, 90,
       [](const GemmProblem& p, int sms) { return sm90_tile_gemm(p) && tiles_fill(p, 128, 128, sms); }, false},
      {"gemm_mma_128x128", 80, 0,
       [](const GemmProblem& p, int sms) { return gemm_supports(p, 128, 128) && tiles_fill(p, 128, 128, sms); }, true},
      {"gemm_mma_64x64", 80, 0, [](const GemmProblem& p, int) { return gemm_supports(p, 64, 64); }, true},
      {"gemm_mma_w64_128x128", 80, 0,
       [](const GemmProblem& p, int sms) { return gemm_supports(p, 128, 128) && tiles_fill(p, 128, 128, sms); }, true},
  };
  return rows;
}

}  // namespace

GpuTarget gpu_target(const MachineSpec& spec, Dtype dtype) {
  GpuTarget gpu;
  gpu.sm = spec.sm_major * 10 + spec.sm_minor;
  gpu.sm_count = spec.sm_count;
  gpu.l2_bytes = spec.l2_mib * 1024.0 * 1024.0;
  gpu.dram_bytes_per_s = spec.dram_gbps * 1e9;
  gpu.tensor_flops = spec.peak_tflops(dtype) * 1e12;
  return gpu;
}

int resident_blocks(int sm, int threads, int registers, int shared_bytes) {
  const ArchLimits* limits = arch_limits(sm);
  if (!limits || threads <= 0 || threads > 1024) return 0;
  const int warps = (threads + 31) / 32;
  const int per_warp = (registers * 32 + kRegisterUnit - 1) / kRegisterUnit * kRegisterUnit;
  int blocks = std::min(limits->blocks, limits->threads / (warps * 32));
  if (per_warp > 0) blocks = std::min(blocks, kRegistersPerSm / (per_warp * warps));
  blocks = std::min(blocks, limits->shared_bytes / (shared_bytes + kSharedReservedPerBlock));
  return std::max(blocks, 0);
}

std::string hand_variant(const GemmProblem& problem, int sm, int sm_count) {
  for (const Row& row : table()) {
    if (sm < row.min_sm || (row.max_sm != 0 && sm > row.max_sm)) continue;
    if (row.chooses(problem, sm_count)) return row.name;
  }
  return "";
}

const std::vector<std::string>& modeled_variants() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Row& row : table())
      if (row.modeled) out.emplace_back(row.name);
    return out;
  }();
  return names;
}

KernelPlan plan_variant(const std::string& variant, const GemmProblem& problem, const GpuTarget& gpu) {
  if (variant == kSplitK.name) return plan_gemv(kSplitK, problem, gpu);
  if (variant == kWide.name) return plan_gemv(kWide, problem, gpu);
  if (variant == "pv_decode_split") return plan_pv_split(problem, gpu);
  if (variant == kTile128.name) return plan_gemm(kTile128, problem, gpu);
  if (variant == kTile64.name) return plan_gemm(kTile64, problem, gpu);
  if (variant == kTileW64.name) return plan_gemm(kTileW64, problem, gpu);
  throw std::invalid_argument("the kernel model does not describe variant " + variant);
}

Prediction predict_hand(const GemmProblem& problem, const GpuTarget& gpu, const ModelConstants& constants) {
  Prediction out;
  if (!arch_limits(gpu.sm)) {
    out.reason = "no hand-written variant runs on sm_" + std::to_string(gpu.sm) + " (the kernels need sm_80 or newer)";
    if (gpu.sm > 90) out.reason = "the model knows no sm_" + std::to_string(gpu.sm) + " limits";
    return out;
  }
  out.variant = hand_variant(problem, gpu.sm, gpu.sm_count);
  if (out.variant.empty()) {
    out.reason = "no hand-written variant supports this shape";
    return out;
  }
  const auto& modeled = modeled_variants();
  if (std::find(modeled.begin(), modeled.end(), out.variant) == modeled.end()) {
    out.reason = out.variant + " is not modeled yet";
    return out;
  }
  if (gpu.sm >= 90 && out.variant.rfind("gemm_mma_", 0) == 0) {
    out.reason = out.variant + ": mma.sync's rate on sm_90 is not modeled";
    return out;
  }
  out.plan = plan_variant(out.variant, problem, gpu);
  out.modeled = true;
  out.launch_s = constants.launch_s * static_cast<double>(out.plan.launches.size());
  const double wave = out.plan.wave_efficiency > 0 ? out.plan.wave_efficiency : 1.0;
  out.compute_s = out.plan.tensor_flops / (constants.tensor_fraction * gpu.tensor_flops * wave);
  out.dram_s = out.plan.dram_bytes / (constants.dram_fraction * gpu.dram_bytes_per_s);
  out.time_s = out.launch_s + std::max(out.compute_s, out.dram_s);
  out.bound = out.launch_s > std::max(out.compute_s, out.dram_s) ? "launch"
              : out.compute_s > out.dram_s                       ? "compute"
                                                                 : "dram";
  return out;
}

}  // namespace roofline

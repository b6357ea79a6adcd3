#include "roofline/kernel_model.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
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

// Registers per thread of each modeled kernel as the build reports them (cuobjdump --dump-resource-usage), for sm_80,
// sm_86, sm_89 and sm_90a, per instantiation the launch picks by shape (gemv_mma: row tiles of 16, 1 to 4;
// gemv_mma_pipe and pv_decode_fused: row groups of 8, 1 or 2; qk_decode_pipe: 10 x its k32 chunks + its row groups of
// 8 heads), the
// largest over dtypes and B layouts; instance 0
// for kernels with one. tests/kernels/test_sass.py checks every number against the build: change them together.
struct KernelRegisters {
  const char* kernel;
  int instance;
  int sm80, sm86, sm89, sm90;
};
// registers: begin
// clang-format off
constexpr KernelRegisters kRegisters[] = {
    {"gemv_mma_splitk", 1, 64, 80, 80, 64},
    {"gemv_mma_splitk", 2, 80, 80, 80, 84},
    {"gemv_mma_splitk", 3, 110, 110, 110, 110},
    {"gemv_mma_splitk", 4, 98, 98, 98, 92},
    {"gemv_mma_wide", 1, 54, 48, 48, 48},
    {"gemv_mma_wide", 2, 70, 70, 70, 70},
    {"gemv_mma_wide", 3, 80, 80, 80, 78},
    {"gemv_mma_wide", 4, 106, 106, 106, 106},
    {"gemv_mma_pipe", 1, 80, 80, 80, 80},
    {"gemv_mma_pipe", 2, 117, 117, 117, 117},
    {"pv_decode_fused", 1, 97, 97, 97, 96},
    {"pv_decode_fused", 2, 98, 98, 98, 98},
    {"qk_decode_pipe", 21, 58, 58, 58, 64},
    {"qk_decode_pipe", 22, 66, 66, 66, 66},
    {"qk_decode_pipe", 41, 68, 68, 68, 70},
    {"qk_decode_pipe", 42, 82, 82, 82, 82},
    {"qk_decode_pipe", 81, 82, 82, 82, 82},
    {"qk_decode_pipe", 82, 128, 128, 128, 128},
    {"pv_partial", 0, 43, 43, 43, 32},
    {"pv_reduce", 0, 32, 40, 40, 32},
    {"gemm_mma_128x128", 0, 126, 126, 126, 124},
    {"gemm_mma_64x64", 0, 96, 96, 96, 96},
    {"gemm_mma_w64_128x128", 0, 238, 238, 238, 242},
};
// clang-format on
// registers: end

int registers_of(const std::string& kernel, int sm, int instance = 0) {
  for (const KernelRegisters& k : kRegisters) {
    if (kernel == k.kernel && instance == k.instance) {
      return sm >= 90 ? k.sm90 : sm >= 89 ? k.sm89 : sm >= 86 ? k.sm86 : k.sm80;
    }
  }
  throw std::logic_error("no registers recorded for kernel " + kernel);
}

// --- sectors -------------------------------------------------------------------------------------------------------

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

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

// Sector bytes of the requests that read columns [c0, c1) (elements) of rows [0, rows) of every (batch, head) matrix
// of an operand, each request reading that segment of `group` consecutive rows (rows g * group .. g * group + group -
// 1, those past `rows` not read): a sector two rows of one request share counts once, as the memory serves it.
std::int64_t request_sector_bytes(const Operand& op, const GemmProblem& p, std::int64_t rows, std::int64_t group,
                                  std::int64_t c0, std::int64_t c1, int element_bytes = 2, bool once_a_matrix = false) {
  if (rows <= 0 || c1 <= c0) return 0;
  const std::int64_t stride = op.ld * element_bytes, bytes = (c1 - c0) * element_bytes;
  // The sectors of rows [r0, r1) of one request, their matrix starting `base` bytes into a sector (rows go up in
  // address, so each row's sectors overlap only the previous ones').
  auto one_request = [&](std::int64_t base, std::int64_t r0, std::int64_t r1) {
    std::int64_t sectors = 0, last = -1;
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t first = (base + r * stride + c0 * element_bytes) / kSectorBytes;
      const std::int64_t end = (base + r * stride + c0 * element_bytes + bytes - 1) / kSectorBytes;
      sectors += std::max<std::int64_t>(0, end - std::max(first, last + 1) + 1);
      last = std::max(last, end);
    }
    return sectors;
  };
  // A matrix's total depends only on where in a sector it starts; and the requests repeat every `period` of them, when
  // their first rows are a multiple of 32 bytes apart.
  std::int64_t period = 1;
  while ((period * group * stride) % kSectorBytes != 0) ++period;
  auto one_matrix = [&](std::int64_t base) {
    const std::int64_t requests = ceil_div(rows, group), full = rows / group;
    std::int64_t cycle = 0;
    for (std::int64_t q = 0; q < std::min(period, full); ++q) cycle += one_request(base, q * group, (q + 1) * group);
    std::int64_t sectors = full >= period ? (full / period) * cycle : 0;
    for (std::int64_t q = full >= period ? (full / period) * period : 0; q < requests; ++q) {
      sectors += one_request(base, q * group, std::min(rows, (q + 1) * group));
    }
    return sectors * kSectorBytes;
  };
  std::map<std::int64_t, std::int64_t> by_start;  // where a matrix starts in its sector -> its bytes
  std::int64_t total = 0;
  for (std::int64_t z = 0; z < p.batch_count(); ++z) {
    if (once_a_matrix && (z % p.heads) % op.head_group != 0) continue;  // read by the first head of its group only
    const std::int64_t base = (row_offset(op, p, z, 0) * element_bytes) % kSectorBytes;
    auto it = by_start.find(base);
    if (it == by_start.end()) it = by_start.emplace(base, one_matrix(base)).first;
    total += it->second;
  }
  return total;
}

// The same for consecutive column segments of `width` elements covering [0, cols): a chunk of every row per request.
std::int64_t chunked_request_sector_bytes(const Operand& op, const GemmProblem& p, std::int64_t rows,
                                          std::int64_t group, std::int64_t cols, std::int64_t width,
                                          bool once_a_matrix = false) {
  std::int64_t total = 0;
  std::map<std::int64_t, std::int64_t> by_start;  // a chunk's sectors depend only on where it starts in a sector
  for (std::int64_t c0 = 0; c0 < cols; c0 += width) {
    const std::int64_t c1 = std::min(c0 + width, cols);
    if (c1 - c0 < width) {
      total += request_sector_bytes(op, p, rows, group, c0, c1, 2, once_a_matrix);
      continue;
    }
    const std::int64_t start = (c0 * 2) % kSectorBytes;
    auto it = by_start.find(start);
    if (it == by_start.end()) {
      it = by_start.emplace(start, request_sector_bytes(op, p, rows, group, c0, c1, 2, once_a_matrix)).first;
    }
    total += it->second;
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

// Stores of pairs of adjacent elements (4 bytes) by the m16n8 fragment layout: a request stores one n8 tile (16 bytes)
// of 8 consecutive rows.
std::int64_t fragment_store_sector_bytes(const GemmProblem& p) {
  return chunked_request_sector_bytes(p.c, p, p.m, 8, p.n, 8);
}

// Bytes of the distinct sectors in `sectors` (reordered).
std::int64_t distinct_sectors_bytes(std::vector<std::int64_t>& sectors) {
  std::sort(sectors.begin(), sectors.end());
  return (std::unique(sectors.begin(), sectors.end()) - sectors.begin()) * kSectorBytes;
}

// One request of a row group of query heads (qk_decode_pipe's Q, pv_decode_fused's P): lane row g reads `bytes` bytes
// at element `col` of row 0 of head first_head + 8 r + g, clamped to the group's last head; the union of its sectors.
std::int64_t head_group_request_bytes(const Operand& op, const GemmProblem& p, std::int64_t first_head,
                                      std::int64_t group, int r, std::int64_t col, std::int64_t bytes) {
  std::vector<std::int64_t> sectors;
  for (int g = 0; g < 8; ++g) {
    const std::int64_t start =
        (row_offset(op, p, first_head + std::min<std::int64_t>(8 * r + g, group - 1), 0) + col) * 2;
    for (std::int64_t sector = start / kSectorBytes; sector <= (start + bytes - 1) / kSectorBytes; ++sector) {
      sectors.push_back(sector);
    }
  }
  return distinct_sectors_bytes(sectors);
}

// --- waves ---------------------------------------------------------------------------------------------------------

// Blocks of a kernel resident per multiprocessor of the target.
int resident_on(const GpuTarget& gpu, int threads, int registers, int shared_bytes);

void set_waves(KernelPlan& plan, const GpuTarget& gpu) {
  const KernelLaunch& main = plan.launches.front();
  plan.blocks_per_sm = resident_on(gpu, main.threads, main.registers, main.shared_bytes);
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
  const int row_tiles = static_cast<int>(ceil_div(p.m, 16));
  plan.launches.push_back({s.name, blocks_x * p.batch_count(), s.threads(), registers_of(s.name, gpu.sm, row_tiles),
                           s.warps_n * s.warps_k * row_tiles * s.nt * 4 * 32 * 4});
  // A request is one k32 chunk of 8 consecutive rows: B's rows of an n8 tile, once; A's rows g (and g + 8) of a
  // 16-row tile, by every warp column of every block.
  plan.load_sector_bytes = chunked_request_sector_bytes(p.b, p, p.n, 8, p.k, 32) +
                           blocks_x * s.warps_n * chunked_request_sector_bytes(p.a, p, p.m, 8, p.k, 32);
  plan.store_sector_bytes = fragment_store_sector_bytes(p);
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, p.m, p.k) + distinct_sector_bytes(p.b, p, p.n, p.k) +
                         distinct_sector_bytes(p.c, p, p.m, p.n);
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes);
  // Warp wk of a warp column runs its chunks wk, wk + WARPS_K, ... two at a time, the second of a pair zeros past the
  // end: every pair's MMAs run.
  const std::int64_t chunks = ceil_div(p.k, 32);
  std::int64_t chunk_runs = 0;  // per warp column
  for (int wk = 0; wk < s.warps_k && wk < chunks; ++wk) chunk_runs += 2 * ceil_div(chunks - wk, 2LL * s.warps_k);
  plan.tensor_flops = 2.0 * 16.0 * row_tiles * 8.0 * s.nt * 32.0 * static_cast<double>(chunk_runs) * s.warps_n *
                      static_cast<double>(blocks_x * p.batch_count());
  set_waves(plan, gpu);
  return plan;
}

// The stream-K schedule (kernels/decode_schedule.cuh): tiles x chunks units cut into one contiguous range per block of
// a grid of resident blocks (at most 4 an SM); a tile whose units fall in several blocks is split, each contributor
// parking its fp32 partial (kTiles x 4 x 32 floats) in the workspace for the last one to add.
struct StreamKModel {
  std::int64_t tiles, chunks, blocks;
  std::int64_t units() const { return tiles * chunks; }
  std::int64_t owner(std::int64_t u) const { return ((u + 1) * blocks - 1) / units(); }
  int contributors(std::int64_t tile) const {
    return static_cast<int>(owner(tile * chunks + chunks - 1) - owner(tile * chunks) + 1);
  }
};
constexpr int kStreamKMaxBlocksPerSm = 4;

// The split tiles' traffic: each contributor's partial (written by it, read back by the last), and each arrival's read
// of its tile's 8-byte counter (the counters, one per block, lead the workspace; the atomic that follows the read is
// not counted).
struct SplitTraffic {
  std::int64_t partial_bytes = 0;    // written, and read again
  std::int64_t counter_reads = 0;    // one sector each
  std::int64_t counter_sectors = 0;  // distinct
};
SplitTraffic stream_k_split_traffic(const StreamKModel& sk, int n8_tiles) {
  SplitTraffic out;
  std::set<std::int64_t> sectors;
  for (std::int64_t t = 0; t < sk.tiles; ++t) {
    const int c = sk.contributors(t);
    if (c < 2) continue;
    out.partial_bytes += static_cast<std::int64_t>(c) * n8_tiles * 4 * 32 * 4;
    out.counter_reads += c;
    sectors.insert(sk.owner(t * sk.chunks) * 8 / kSectorBytes);
  }
  out.counter_sectors = static_cast<std::int64_t>(sectors.size());
  return out;
}

// gemv_mma_pipe (kernels/gemv_mma_pipe.cu): 32-column tiles x k32 chunks on the stream-K schedule; a warp copies a
// chunk's 4 n8 row groups of B and its row groups of A (clamped to the last row: every copy is issued), a request each.
constexpr int kPipeWarps = 8, kPipeStages = 3, kPipeNt = 4;

KernelPlan plan_gemv_pipe(const GemmProblem& p, const GpuTarget& gpu) {
  KernelPlan plan;
  plan.variant = "gemv_mma_pipe";
  const int rg = p.m <= 8 ? 1 : 2;
  const int shared = (kPipeNt + rg) * 512 * kPipeWarps * kPipeStages,
            registers = registers_of(plan.variant, gpu.sm, rg);
  const int per_sm = std::min(resident_on(gpu, kPipeWarps * 32, registers, shared), kStreamKMaxBlocksPerSm);
  const std::int64_t n_tiles = ceil_div(p.n, 32) * p.batch_count();
  StreamKModel sk{n_tiles, ceil_div(p.k, 32), 0};
  sk.blocks = std::min<std::int64_t>(std::max(gpu.sm_count, 1) * per_sm, sk.units());
  plan.launches.push_back({plan.variant, sk.blocks, kPipeWarps * 32, registers, shared});
  // B: every row once a chunk; the last tile's row groups past N read row N - 1 again. A: its row groups every unit.
  const std::int64_t last_tile_rows = p.n - (ceil_div(p.n, 32) - 1) * 32;
  const std::int64_t clamped_groups = kPipeNt - ceil_div(last_tile_rows, 8);
  std::int64_t clamped = 0;
  if (clamped_groups > 0) {
    for (std::int64_t z = 0; z < p.batch_count(); ++z) {
      const std::int64_t row = (row_offset(p.b, p, z, 0) + (p.n - 1) * p.b.ld) * 2;
      for (std::int64_t c0 = 0; c0 < p.k; c0 += 32)
        clamped += span_sector_bytes(row + c0 * 2, std::min<std::int64_t>(32, p.k - c0) * 2);
    }
  }
  const SplitTraffic split = stream_k_split_traffic(sk, kPipeNt);
  plan.load_sector_bytes = chunked_request_sector_bytes(p.b, p, p.n, 8, p.k, 32) + clamped_groups * clamped +
                           ceil_div(p.n, 32) * chunked_request_sector_bytes(p.a, p, p.m, 8, p.k, 32) +
                           split.partial_bytes + split.counter_reads * kSectorBytes;
  plan.store_sector_bytes = fragment_store_sector_bytes(p) + split.partial_bytes;
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, p.m, p.k) + distinct_sector_bytes(p.b, p, p.n, p.k) +
                         distinct_sector_bytes(p.c, p, p.m, p.n) + 2 * split.partial_bytes +
                         split.counter_sectors * kSectorBytes;
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes);
  plan.tensor_flops = 2.0 * 16 * 8 * 32 * kPipeNt * static_cast<double>(sk.units());
  set_waves(plan, gpu);
  return plan;
}

// pv_decode_fused (kernels/pv_decode_fused.cu): tiles of 64 columns of d for the query heads of one KV head, x k16
// chunks of the context, on the stream-K schedule. A warp copies, per chunk, 4 requests of V (rows 4t + q of the chunk,
// 128 bytes of each) and one of P per row group (32 bytes of each of its 8 heads, clamped to the group).
constexpr int kFusedWarps = 8, kFusedStages = 3, kFusedCols = 64;

KernelPlan plan_pv_fused(const GemmProblem& p, const GpuTarget& gpu) {
  KernelPlan plan;
  plan.variant = "pv_decode_fused";
  const std::int64_t group = p.b.head_group, kv_heads = p.heads / group, col_groups = p.n / kFusedCols;
  const int rg = group <= 8 ? 1 : 2;
  const int shared = (4 * 512 + rg * 256) * kFusedWarps * kFusedStages;
  const int registers = registers_of(plan.variant, gpu.sm, rg);
  const int per_sm = std::min(resident_on(gpu, kFusedWarps * 32, registers, shared), kStreamKMaxBlocksPerSm);
  StreamKModel sk{p.batch * kv_heads * col_groups, ceil_div(p.k, 16), 0};
  sk.blocks = std::min<std::int64_t>(std::max(gpu.sm_count, 1) * per_sm, sk.units());
  plan.launches.push_back({plan.variant, sk.blocks, kFusedWarps * 32, registers, shared});
  // V: every row of every KV head once per column group (rows 4 apart in a request share no sector).
  std::int64_t values = 0;
  for (std::int64_t c = 0; c < col_groups; ++c) {
    values += request_sector_bytes(p.b, p, p.k, 1, c * kFusedCols, (c + 1) * kFusedCols, 2, true);
  }
  // P: per column group, chunk and row group, the union of its heads' 32-byte pieces.
  std::int64_t probabilities = 0;
  for (std::int64_t z_kv = 0; z_kv < p.batch * kv_heads; ++z_kv) {
    const std::int64_t first_head = (z_kv / kv_heads) * p.heads + (z_kv % kv_heads) * group;
    for (std::int64_t chunk = 0; chunk < sk.chunks; ++chunk) {
      const std::int64_t bytes = std::min<std::int64_t>(16, p.k - chunk * 16) * 2;
      for (int r = 0; r < rg; ++r)
        probabilities += head_group_request_bytes(p.a, p, first_head, group, r, chunk * 16, bytes);
    }
  }
  const SplitTraffic split = stream_k_split_traffic(sk, kFusedCols / 8);
  plan.load_sector_bytes =
      values + col_groups * probabilities + split.partial_bytes + split.counter_reads * kSectorBytes;
  // O's stores: the model counts its sectors once (the kernel's pair stores interleave columns of two n8 tiles).
  plan.store_sector_bytes = distinct_sector_bytes(p.c, p, p.m, p.n) + split.partial_bytes;
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, p.m, p.k) + distinct_sector_bytes(p.b, p, p.k, p.n) +
                         distinct_sector_bytes(p.c, p, p.m, p.n) + 2 * split.partial_bytes +
                         split.counter_sectors * kSectorBytes;
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes);
  plan.tensor_flops = 2.0 * 16 * 8 * 16 * (kFusedCols / 8) * static_cast<double>(sk.units());
  set_waves(plan, gpu);
  return plan;
}

// qk_decode_pipe (kernels/qk_decode_pipe.cu): warps of 8 keys x all of head_dim per tile, the tiles of every KV head
// cut into one contiguous range per warp of a grid sized by residency (at most 8 blocks an SM); a warp loads the query
// rows of its KV head's group at each segment (one KV head's tiles of its range), then streams K once.
constexpr int kQkWarps = 8, kQkStages = 3, kQkKeys = 8, kQkMaxBlocksPerSm = 8;

KernelPlan plan_qk_pipe(const GemmProblem& p, const GpuTarget& gpu) {
  KernelPlan plan;
  plan.variant = "qk_decode_pipe";
  const std::int64_t group = p.b.head_group, kv_heads = p.heads / group, per_head = ceil_div(p.n, kQkKeys);
  const std::int64_t tiles = p.batch * kv_heads * per_head;
  const int kc = static_cast<int>(p.k / 32), rg = group <= 8 ? 1 : 2;
  const int shared = kc * 512 * kQkStages * kQkWarps, registers = registers_of(plan.variant, gpu.sm, 10 * kc + rg);
  const int per_sm = std::min(resident_on(gpu, kQkWarps * 32, registers, shared), kQkMaxBlocksPerSm);
  const std::int64_t blocks = std::min<std::int64_t>(std::max(gpu.sm_count, 1) * per_sm, ceil_div(tiles, kQkWarps));
  plan.launches.push_back({plan.variant, blocks, kQkWarps * 32, registers, shared});
  // Q: at each segment, rg x kc requests of the 8 query heads 8 r + g (clamped to the group), 64 bytes of each.
  auto query_sectors = [&](std::int64_t z_kv) {
    const std::int64_t first_head = (z_kv / kv_heads) * p.heads + (z_kv % kv_heads) * group;
    std::int64_t bytes = 0;
    for (int r = 0; r < rg; ++r) {
      for (int c = 0; c < kc; ++c) bytes += head_group_request_bytes(p.a, p, first_head, group, r, 32 * c, 64);
    }
    return bytes;
  };
  std::int64_t query = 0;
  const std::int64_t warps = blocks * kQkWarps;
  for (std::int64_t w = 0; w < warps && blocks > 0; ++w) {
    const std::int64_t first = tiles * w / warps, end = tiles * (w + 1) / warps;
    for (std::int64_t t = first; t < end; t = (t / per_head + 1) * per_head) query += query_sectors(t / per_head);
  }
  // K: every tile once, kc requests of its 8 keys (clamped: the last tile's extra lanes reread the last key).
  plan.load_sector_bytes = query + chunked_request_sector_bytes(p.b, p, p.n, kQkKeys, p.k, 32, true);
  plan.store_sector_bytes = chunked_request_sector_bytes(p.c, p, 1, 1, p.n, 8);
  plan.footprint_bytes = distinct_sector_bytes(p.a, p, p.m, p.k) + distinct_sector_bytes(p.b, p, p.n, p.k) +
                         distinct_sector_bytes(p.c, p, p.m, p.n);
  plan.dram_bytes = static_cast<double>(plan.footprint_bytes);
  plan.tensor_flops = 2.0 * 16 * 8 * static_cast<double>(p.k) * static_cast<double>(tiles);
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

// V's loads: thread (group g, chunk c) of warp w reads the 16-byte chunk c of row s = begin + g, begin + g + groups,
// ...; a request is one such row step of the warp's lanes, over the (partial, when d / 8 does not divide 32) rows its
// groups hold.
std::int64_t pv_value_sector_bytes(const GemmProblem& p, std::int64_t splits) {
  const std::int64_t chunks = p.n / 8, groups = kPvThreads / chunks, per_split = ceil_div(p.k, splits);
  const std::int64_t stride = p.b.ld * 2;
  if (32 % chunks == 0 && rows_aligned(p.b, 2) && (p.n * 2) % kSectorBytes == 0 && p.b.ld >= p.n) {
    return p.batch_count() * p.k * p.n * 2;  // whole rows a request, each in sectors of its own
  }
  std::map<std::int64_t, std::int64_t> by_start;  // where a matrix starts in its sector -> its sector bytes
  std::int64_t total = 0;
  for (std::int64_t z = 0; z < p.batch_count(); ++z) {
    const std::int64_t base = (row_offset(p.b, p, z, 0) * 2) % kSectorBytes;
    auto it = by_start.find(base);
    if (it == by_start.end()) {
      std::int64_t bytes = 0;
      std::vector<std::int64_t> touched;
      for (std::int64_t split = 0; split < splits; ++split) {
        const std::int64_t begin = split * per_split, end = std::min(begin + per_split, p.k);
        for (int warp = 0; warp < kPvThreads / 32; ++warp) {
          for (std::int64_t step = 0; begin + step * groups < end; ++step) {
            touched.clear();
            for (int lane = 0; lane < 32; ++lane) {
              const std::int64_t thread = warp * 32 + lane, g = thread / chunks, c = thread % chunks;
              const std::int64_t row = begin + g + step * groups;
              if (g >= groups || row >= end) continue;
              touched.push_back((base + row * stride + c * 16) / kSectorBytes);
            }
            bytes += distinct_sectors_bytes(touched);
          }
        }
      }
      it = by_start.emplace(base, bytes).first;
    }
    total += it->second;
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
  plan.load_sector_bytes = pv_value_sector_bytes(p, splits) + pv_probability_sector_bytes(p, splits) +
                           workspace;  // the reduction reads each (split, column) once, 32 lanes a request
  // Stores as the build's SASS issues them: a thread's 8 partial sums as 8 four-byte stores (each request a sector per
  // lane: 8 times the workspace), O as 4 pair stores a thread (4 times O) or, after a split, by the reduction's 2-byte
  // stores (O once).
  const std::int64_t o = p.batch_count() * span_sector_bytes(0, p.n * 2);
  plan.store_sector_bytes = splits > 1 ? 8 * workspace + o : 4 * o;
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
  int k_rows;  // rows a request copies of A and of B as [N x K] (a BK-wide chunk of each)
  int n_rows;  // k rows a request copies of B as [K x N] (BN columns of each)
};
// A request: 8 lanes a row of 4 chunks (BK = 32), or of 8 (BK = 64); as [K x N], BN / 8 lanes a k row.
constexpr TileShape kTile128{"gemm_mma_128x128", 128, 128, 32, 256, 4 * (128 * 32 * 2 + 128 * 32 * 2), 8, 2};
constexpr TileShape kTile64{"gemm_mma_64x64", 64, 64, 32, 128, 4 * (64 * 32 * 2 + 64 * 32 * 2), 8, 4};
// gemm_mma_w64 (kernels/gemm_mma_w64.cu): 128 x 128 x 64 tiles, 4 warps of 64 x 64, 3 stages; the same tile order,
// its copies 8 lanes a 128-byte row.
constexpr TileShape kTileW64{"gemm_mma_w64_128x128", 128, 128, 64, 128, 3 * (128 * 64 * 2 + 128 * 64 * 2), 4, 2};
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

  double total() const {
    const double c = 2.0 * static_cast<double>(p_.m * p_.n * p_.batch_count());  // C, written once
    std::vector<std::int64_t> a(static_cast<std::size_t>(p_.batch_count())), b(a.size());
    for (std::int64_t z = 0; z < p_.batch_count(); ++z) {
      a[static_cast<std::size_t>(z)] = row_offset(p_.a, p_, z, 0);
      b[static_cast<std::size_t>(z)] = row_offset(p_.b, p_, z, 0);
    }
    // Runs of consecutive pairs that read one B matrix (the query heads of one K or V head; runs of 1 without
    // grouping), each with a matrix of A of its own: a run's bytes depend only on its length and on where the wave
    // cuts fall in it, so each is computed once.
    std::vector<std::int64_t> run_b, distinct_a = a;
    std::sort(distinct_a.begin(), distinct_a.end());
    const bool own_a = std::unique(distinct_a.begin(), distinct_a.end()) == distinct_a.end();
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;  // (first pair, length)
    for (std::size_t z = 0; z < b.size();) {
      std::size_t end = z + 1;
      while (end < b.size() && b[end] == b[z]) ++end;
      runs.emplace_back(static_cast<std::int64_t>(z), static_cast<std::int64_t>(end - z));
      run_b.push_back(b[z]);
      z = end;
    }
    std::sort(run_b.begin(), run_b.end());
    const bool runs_own_b = std::unique(run_b.begin(), run_b.end()) == run_b.end();
    if (!own_a || !runs_own_b) return c + shared_matrices(a, b);
    std::map<std::pair<std::int64_t, std::int64_t>, double> known;  // (first cut, length) -> bytes
    double bytes = c;
    for (const auto& [first, length] : runs) {
      const std::int64_t phase = (slots_ - (first * per_matrix_) % slots_) % slots_;
      auto it = known.find({phase, length});
      if (it == known.end()) it = known.emplace(std::make_pair(phase, length), run_bytes(phase, length)).first;
      bytes += it->second;
    }
    return bytes;
  }

 private:
  // Bytes of rows [first, first + count) of a dimension cut in tiles of `tile` rows, `extent` in all, times `row`.
  static double band(std::int64_t first, std::int64_t count, std::int64_t tile, std::int64_t extent, double row) {
    return static_cast<double>(std::max<std::int64_t>(0, std::min(extent, (first + count) * tile) - first * tile)) *
           row;
  }

  // The pieces of one matrix's tiles between the wave cuts phase, phase + slots, ... and the tile groups' ends:
  // visit(first tile row, tile rows, straight, first column, last column, wave ends after it).
  template <class Visit>
  void pieces(std::int64_t phase, Visit visit) const {
    const std::int64_t width = kTileGroup * grid_n_;
    std::int64_t next_cut = phase > 0 ? phase : slots_;
    for (std::int64_t local = 0; local < per_matrix_;) {
      const std::int64_t group = local / width, first_m = group * kTileGroup;
      const std::int64_t group_rows = std::min(grid_m_ - first_m, kTileGroup);
      const std::int64_t end = std::min({next_cut, (group + 1) * width, per_matrix_});
      const std::int64_t count = end - local;
      // Its tile rows: all of the group's, or `count` of them from row0 on, wrapping to the group's first.
      const std::int64_t row0 = count >= group_rows ? 0 : (local % width) % group_rows;
      const std::int64_t rows = std::min(count, group_rows);
      visit(first_m, group_rows, row0, rows, (local % width) / group_rows, ((end - 1) % width) / group_rows,
            end == next_cut);
      local = end;
      if (local == next_cut) next_cut += slots_;
    }
  }

  // A run of `length` pairs with their own A and one B, the first cut `phase` tiles into its first matrix.
  double run_bytes(std::int64_t phase, std::int64_t length) const {
    const double row = 2.0 * static_cast<double>(p_.k);  // one row of A, or of B as [N x K] (a column as [K x N])
    std::vector<std::int64_t> cols;                      // B's tile columns the current wave has read
    double total = 0;
    for (std::int64_t i = 0; i < length; ++i) {
      const std::int64_t cut = (phase - (i * per_matrix_) % slots_ + slots_) % slots_;
      if (cut == 0) cols.clear();
      pieces(cut, [&](std::int64_t first_m, std::int64_t group_rows, std::int64_t row0, std::int64_t rows,
                      std::int64_t col0, std::int64_t col1, bool wave_ends) {
        const std::int64_t straight = std::min(rows, group_rows - row0);
        total += band(first_m + row0, straight, t_.bm, p_.m, row) + band(first_m, rows - straight, t_.bm, p_.m, row);
        for (std::int64_t col = col0; col <= col1; ++col) {
          if (std::find(cols.begin(), cols.end(), col) != cols.end()) continue;
          cols.push_back(col);
          total += band(col, 1, t_.bn, p_.n, row);
        }
        if (wave_ends) cols.clear();
      });
    }
    return total;
  }

  // Any sharing of A or B between pairs: every band a wave reads, once per wave, pair by pair.
  double shared_matrices(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) const {
    const double row = 2.0 * static_cast<double>(p_.k);
    std::vector<std::tuple<int, std::int64_t, std::int64_t>> seen;  // (operand, matrix, tile row or column)
    auto first_time = [&seen](int operand, std::int64_t matrix, std::int64_t index) {
      const auto key = std::make_tuple(operand, matrix, index);
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) return false;
      seen.push_back(key);
      return true;
    };
    double total = 0;
    for (std::size_t z = 0; z < a.size(); ++z) {
      const std::int64_t cut = (slots_ - (static_cast<std::int64_t>(z) * per_matrix_) % slots_) % slots_;
      if (cut == 0) seen.clear();
      pieces(cut, [&](std::int64_t first_m, std::int64_t group_rows, std::int64_t row0, std::int64_t rows,
                      std::int64_t col0, std::int64_t col1, bool wave_ends) {
        for (std::int64_t i = 0; i < rows; ++i) {
          const std::int64_t tile_row = first_m + (row0 + i) % group_rows;
          if (first_time(0, a[z], tile_row)) total += band(tile_row, 1, t_.bm, p_.m, row);
        }
        for (std::int64_t col = col0; col <= col1; ++col) {
          if (first_time(1, b[z], col)) total += band(col, 1, t_.bn, p_.n, row);
        }
        if (wave_ends) seen.clear();
      });
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
  // Each tile reads its rows of A and of B in BK-wide chunks (zero-filled rows and columns past the end read nothing).
  const std::int64_t a = grid_n * chunked_request_sector_bytes(p.a, p, p.m, t.k_rows, p.k, t.bk);
  std::int64_t b = 0;
  if (nt(p)) {
    b = grid_m * chunked_request_sector_bytes(p.b, p, p.n, t.k_rows, p.k, t.bk);
  } else {  // [K x N]: a tile's BN columns of each row k
    for (std::int64_t c = 0; c < grid_n; ++c) {
      b += grid_m * request_sector_bytes(p.b, p, p.k, t.n_rows, c * t.bn, std::min<std::int64_t>((c + 1) * t.bn, p.n));
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
// problem's shape (device buffers are taken as cudaMalloc's, 256-byte aligned; the Hopper rows also as built for
// sm_90a, with the driver's tensor-map encoder). Variants the model does not describe take part too, so that the
// choice is the kernels' own.
struct Row {
  const char* name;
  int min_sm, max_sm;
  bool (*chooses)(const GemmProblem& p, int sm_count);
  bool modeled;
};

// The stream-K decode kernels' split counters take at most 2^20 - 1 contributors, 4 blocks a multiprocessor.
bool stream_k_fits(int sm_count) { return 4LL * std::max(sm_count, 1) <= (1LL << 20) - 1; }

// At most 16 query heads per K or V head, dividing the heads; Q (or P) and the output one matrix per head.
bool grouped_heads_ok(const GemmProblem& p) {
  return p.a.head_group == 1 && p.c.head_group == 1 && p.b.head_group >= 1 && p.b.head_group <= 16 &&
         p.heads % p.b.head_group == 0;
}

bool qk_pipe_supports(const GemmProblem& p) {
  return p.m == 1 && nt(p) && (p.k == 64 || p.k == 128 || p.k == 256) && p.n >= 2 && p.n % 2 == 0 &&
         grouped_heads_ok(p) && p.b.ld % 8 == 0 && p.b.batch_stride % 8 == 0 && p.b.head_stride % 8 == 0 &&
         p.a.batch_stride % 8 == 0 && p.a.head_stride % 8 == 0 && p.c.batch_stride % 2 == 0 && p.c.head_stride % 2 == 0;
}

bool pv_fused_supports(const GemmProblem& p, int sm_count) {
  return p.m == 1 && !nt(p) && p.n % 64 == 0 && p.n >= 64 && p.n <= 256 && p.k >= 4 && p.k % 4 == 0 &&
         grouped_heads_ok(p) && p.b.ld % 8 == 0 && p.b.batch_stride % 8 == 0 && p.b.head_stride % 8 == 0 &&
         p.a.batch_stride % 4 == 0 && p.a.head_stride % 4 == 0 && p.c.batch_stride % 2 == 0 &&
         p.c.head_stride % 2 == 0 && stream_k_fits(sm_count);
}

bool gemv_pipe_supports(const GemmProblem& p, int sm_count) {
  return p.m >= 1 && p.m <= 16 && nt(p) && p.n >= 1 && p.k >= 8 && p.k % 8 == 0 && p.n % 2 == 0 && operands_ok(p) &&
         stream_k_fits(sm_count);
}

// kernels/tensor_maps.cuh's strides_grow: the operand's strides grow in its tensor map's order (k, then head or row,
// then the other, then batch); `rows_in_head_ok` false for a kernel that takes only (k, head, row, batch).
bool strides_grow(const Operand& op, std::int64_t rows, const GemmProblem& p, bool rows_in_head_ok) {
  const std::int64_t distinct_heads = ceil_div(p.heads, op.head_group);
  if (distinct_heads > 1 && op.head_stride > op.ld) {  // rows inside a head
    if (!rows_in_head_ok || op.head_stride < op.ld * rows) return false;
    return p.batch <= 1 || op.batch_stride >= op.head_stride * distinct_heads;
  }
  return p.batch <= 1 || op.batch_stride >= op.ld * rows;
}

// What every wgmma variant asks (gemm_wgmma.cu, gemm_wgmma_128x256.cu): B's layout, sizes, 16-byte rows.
bool wgmma_basics(const GemmProblem& p, bool b_kn) {
  return nt(p) != b_kn && p.m >= 1 && p.n >= 1 && p.k >= 1 && p.k % 8 == 0 && p.n % 2 == 0 && operands_ok(p) &&
         p.m <= (1LL << 31) && p.n <= (1LL << 31);
}

bool wgmma_128x128_supports(const GemmProblem& p) {
  return wgmma_basics(p, false) && strides_grow(p.a, p.m, p, false) && strides_grow(p.b, p.n, p, false);
}

// gemm_wgmma_128x256.cu's shapes: BN 256 with B [N x K] (plain, in clusters of 2, with a TMA-store epilogue) or BN
// 128 with B [K x N].
bool wgmma_wide_supports(const GemmProblem& p, int bn, bool b_kn, bool tma_store) {
  return wgmma_basics(p, b_kn) && strides_grow(p.a, p.m, p, true) && strides_grow(p.b, b_kn ? p.k : p.n, p, true) &&
         (!tma_store || strides_grow(p.c, p.m, p, true)) &&
         ceil_div(p.m, 128) * ceil_div(p.n, bn) * p.batch_count() < (1LL << 30);
}

bool wide_suits(const GemmProblem& p, int sm_count) {
  return p.m > 64 && p.n >= 256 && tiles_fill(p, 128, 256, sm_count);
}

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"gemv_mma_splitk", 80, 0, [](const GemmProblem& p, int) { return gemv_supports(p) && p.k >= 512; }, true},
      {"gemv_mma_pipe", 80, 0,
       [](const GemmProblem& p, int sms) { return gemv_pipe_supports(p, sms) && p.m <= 16 && p.k >= 512; }, true},
      {"gemv_mma_wide", 80, 0, [](const GemmProblem& p, int) { return gemv_supports(p) && p.k < 512; }, true},
      {"qk_decode_pipe", 80, 0, [](const GemmProblem& p, int) { return qk_pipe_supports(p) && p.k <= 256; }, true},
      {"pv_decode_split", 80, 0, [](const GemmProblem& p, int) { return pv_supports(p); }, true},
      {"pv_decode_fused", 80, 0, [](const GemmProblem& p, int sms) { return pv_fused_supports(p, sms); }, true},
      {"gemm_wgmma_128x128", 90, 90,
       [](const GemmProblem& p, int sms) { return wgmma_128x128_supports(p) && tiles_fill(p, 128, 128, sms); }, false},
      {"gemm_wgmma_128x256", 90, 90,
       [](const GemmProblem& p, int sms) { return wgmma_wide_supports(p, 256, false, false) && wide_suits(p, sms); },
       false},
      {"gemm_wgmma_128x256_c2", 90, 90,
       [](const GemmProblem& p, int sms) { return wgmma_wide_supports(p, 256, false, false) && wide_suits(p, sms); },
       false},
      {"gemm_wgmma_128x256_c2_tma_store", 90, 90,
       [](const GemmProblem& p, int sms) { return wgmma_wide_supports(p, 256, false, true) && wide_suits(p, sms); },
       false},
      {"gemm_mma_128x128", 80, 0,
       [](const GemmProblem& p, int sms) { return gemm_supports(p, 128, 128) && tiles_fill(p, 128, 128, sms); }, true},
      {"gemm_mma_64x64", 80, 0, [](const GemmProblem& p, int) { return gemm_supports(p, 64, 64); }, true},
      {"gemm_mma_w64_128x128", 80, 0,
       [](const GemmProblem& p, int sms) { return gemm_supports(p, 128, 128) && tiles_fill(p, 128, 128, sms); }, true},
      {"gemm_wgmma_128x128_kn", 90, 90,
       [](const GemmProblem& p, int sms) {
         return wgmma_wide_supports(p, 128, true, false) && p.m > 64 && tiles_fill(p, 128, 128, sms);
       },
       false},
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

namespace {

int resident_within(const ResidencyLimits& limits, int threads, int registers, int shared_bytes) {
  if (threads <= 0 || threads > 1024) return 0;
  const int warps = (threads + 31) / 32;
  const int per_warp = (registers * 32 + kRegisterUnit - 1) / kRegisterUnit * kRegisterUnit;
  int blocks = std::min(limits.blocks, limits.threads / (warps * 32));
  if (per_warp > 0 && limits.registers > 0) blocks = std::min(blocks, limits.registers / (per_warp * warps));
  if (shared_bytes + limits.reserved_shared_per_block > 0) {
    blocks = std::min(blocks, limits.shared_bytes / (shared_bytes + limits.reserved_shared_per_block));
  }
  return std::max(blocks, 0);
}

ResidencyLimits limits_of(const ArchLimits& a) {
  return {a.threads, a.blocks, a.shared_bytes, kRegistersPerSm, kSharedReservedPerBlock};
}

int resident_on(const GpuTarget& gpu, int threads, int registers, int shared_bytes) {
  if (gpu.limits) return resident_within(*gpu.limits, threads, registers, shared_bytes);
  const ArchLimits* a = arch_limits(gpu.sm);
  return a ? resident_within(limits_of(*a), threads, registers, shared_bytes) : 0;
}

}  // namespace

int resident_blocks(int sm, int threads, int registers, int shared_bytes) {
  const ArchLimits* a = arch_limits(sm);
  return a ? resident_within(limits_of(*a), threads, registers, shared_bytes) : 0;
}

std::string hand_variant(const GemmProblem& problem, int sm, int sm_count, const std::vector<std::string>* allowed,
                         std::vector<std::string>* left_out) {
  for (const Row& row : table()) {
    if (sm < row.min_sm || (row.max_sm != 0 && sm > row.max_sm)) continue;
    if (!row.chooses(problem, sm_count)) continue;
    if (!allowed || std::find(allowed->begin(), allowed->end(), row.name) != allowed->end()) return row.name;
    if (left_out) left_out->emplace_back(row.name);
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
  if (variant == "qk_decode_pipe") return plan_qk_pipe(problem, gpu);
  if (variant == "gemv_mma_pipe") return plan_gemv_pipe(problem, gpu);
  if (variant == "pv_decode_fused") return plan_pv_fused(problem, gpu);
  if (variant == kTile128.name) return plan_gemm(kTile128, problem, gpu);
  if (variant == kTile64.name) return plan_gemm(kTile64, problem, gpu);
  if (variant == kTileW64.name) return plan_gemm(kTileW64, problem, gpu);
  throw std::invalid_argument("the kernel model does not describe variant " + variant);
}

Prediction predict_hand(const GemmProblem& problem, const GpuTarget& gpu, const ModelConstants& constants,
                        const std::vector<std::string>* allowed) {
  Prediction out;
  if (gpu.sm < 80) {
    out.reason = "no hand-written variant runs on sm_" + std::to_string(gpu.sm) + " (the kernels need sm_80 or newer)";
    return out;
  }
  if (!arch_limits(gpu.sm)) {
    out.reason = "the model knows no sm_" + std::to_string(gpu.sm) + " limits (it knows sm_80, sm_86, sm_89, sm_90)";
    return out;
  }
  std::vector<std::string> left_out;
  out.variant = hand_variant(problem, gpu.sm, gpu.sm_count, allowed, &left_out);
  if (out.variant.empty()) {
    out.reason = "no hand-written variant supports this shape";
    if (!left_out.empty()) {
      out.reason = "every hand-written variant that suits this shape is left out by --allow-variants (";
      for (std::size_t i = 0; i < left_out.size(); ++i) out.reason += (i ? ", " : "") + left_out[i];
      out.reason += ")";
    }
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

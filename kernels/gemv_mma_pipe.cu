// gemv_mma_pipe: the decode linears, C[M x N] = A[M x K] * B^T with B stored [N x K] and M <= 16, per (batch, head);
// gemv_mma_splitk's successor, added beside it so that one GPU run measures both (issue 13).
//
// Bottleneck: DRAM (B, the weight, read once, is the whole of the traffic; A stays in L2). What changed, and why it
// should keep more bytes in flight:
// 1. A cp.async ring per warp, STAGES deep: the copy of chunk i + STAGES - 1 is issued before the wait for chunk i,
//    so a warp waiting on data has STAGES k32 chunks (3 x 2 KiB of B) in flight, whatever order ptxas gives the
//    instructions (the depth is set by cp.async.wait_group, not by the schedule). gemv_mma_splitk loads into registers,
//    and ptxas interleaves those loads with the MMAs that wait for them, so a warp stalls with one chunk in flight.
//    Each lane reads back only the 16-byte pieces it copied itself: no barrier, no bank conflict (512 contiguous bytes
//    per warp access). tests/kernels/test_sass.py checks the SASS: in the main loop every global copy precedes the
//    first HMMA, and the wait leaves copies in flight (DEPBAR.LE SB0, 2).
// 2. No predicated loads: rows of A past M and columns of B past N are clamped to the last valid one (their results
//    are never stored); K's last partial chunk copies from a start clamped to K - 8 with a source size of 0 (zeros).
// 3. 32 columns per tile (4 n8 tiles per warp), so each A piece feeds 8 MMAs instead of 4: half the L2 traffic of A.
// 4. A persistent grid sized to the resident slots (occupancy API) and a stream-K split of the tiles x chunks units
//    (decode_schedule.cuh): every block streams the same bytes, so N = 17920 leaves no tail wave. A tile split
//    between blocks is finished by its last contributor (split_counter.cuh): no second launch, no memset.
// 5. B is copied under an L2 evict-first policy (read once); A is read by every tile and stays.
// Within a block, the 8 warps share a segment's chunks round robin and add their accumulators in shared memory
// (overlaid on the drained ring).
// Resources (ptxas, sm_90a): 80 registers (capped for 3 blocks per SM) and 60 KiB of shared memory at M <= 8: 3 blocks
// per H100 SM, 24 warps x 3 chunks x 2 KiB = 144 KiB of B in flight per SM; at M <= 16, 119 registers and 72 KiB: 2
// blocks, 96 KiB in flight. (sm_86/89: 1 block per SM by shared memory, 48 KiB in flight, ample for an A40.)
// Workspace: one counter per block slot, then two fp32 partial slots per block (decode_schedule.cuh, StreamK::slot).
// Limits: M <= 16 (larger M stays on gemv_mma_splitk), B stored [N x K], K a multiple of 8, N even, 16-byte aligned
// rows.
#include <algorithm>

#include "kernels/decode_schedule.cuh"
#include "kernels/gemv_mma_pipe.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/split_counter.cuh"

namespace kernels {
namespace {

using namespace detail;

constexpr int kWarps = GemvPipe::kWarps;  // a block's warps share the chunks of a segment
constexpr int kThreads = kWarps * 32;
constexpr int NT = GemvPipe::NT;  // n8 tiles per tile: 32 columns
constexpr int BLOCK_N = GemvPipe::BLOCK_N;
constexpr int STAGES = GemvPipe::STAGES;
constexpr int E = NT * 4;           // accumulators per lane (one m16 tile)
constexpr int kMaxBlocksPerSm = 4;  // cap of the persistent grid (and so of the workspace)

// 512-byte pieces per warp and stage: the 4 rows of B, then the `rg` row groups of A.
constexpr int pieces(int rg) { return NT + rg; }
constexpr int smem_bytes(int rg) { return pieces(rg) * kWarps * STAGES * 512; }
// Blocks per SM the registers are capped for: 3 x 60 KiB of shared memory fit an H100 SM; at M <= 16 the registers
// (about 115) allow 2 without a cap, and a cap of 80 spills.
constexpr int min_blocks(int rg) { return rg == 1 ? 3 : 2; }
static_assert(4 * E * 32 * 4 <= smem_bytes(1), "the reduction's stash is overlaid on the ring");

// The global address each lane copies for one chunk: B rows n0 + 8 nt + g, A rows 8 r + g, elements gemv_k(chunk, t).
struct Rows {
  const char* b[NT];
  const char* a[2];
};

template <int RG>
__device__ __forceinline__ void copy_chunk(const Rows& rows, std::uint32_t slot, std::int64_t chunk,
                                           std::int64_t k_extent, int t, int lane, std::uint64_t policy) {
  const std::int64_t k = gemv_k(chunk, t);
  const bool valid = k < k_extent;
  const std::int64_t kk = valid ? k : k_extent - 8;  // a valid address; nothing is read from it (size 0)
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) cp_async_16_hint(slot + nt * 512 + lane * 16, rows.b[nt] + 2 * kk, valid, policy);
#pragma unroll
  for (int r = 0; r < RG; ++r) cp_async_16(slot + (NT + r) * 512 + lane * 16, rows.a[r] + 2 * kk, valid);
}

// Word i of a 16-byte piece; i is a constant after unrolling, so this is a register, not an indexed array.
__device__ __forceinline__ std::uint32_t word(const uint4& v, int i) {
  return i == 0 ? v.x : (i == 1 ? v.y : (i == 2 ? v.z : v.w));
}

template <int RG, class T>
__device__ __forceinline__ void mma_chunk(float (&acc)[NT][4], const unsigned char* slot, int lane) {
  uint4 a[RG], b[NT];
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) b[nt] = *reinterpret_cast<const uint4*>(slot + nt * 512 + lane * 16);
#pragma unroll
  for (int r = 0; r < RG; ++r) a[r] = *reinterpret_cast<const uint4*>(slot + (NT + r) * 512 + lane * 16);
  // Rows g + 8 duplicate rows g when RG is 1 (M <= 8): computed, never stored.
  const uint4 lo = a[0], hi = a[RG - 1];
#pragma unroll
  for (int step = 0; step < 2; ++step) {
    std::uint32_t af[4];
#pragma unroll
    for (int reg = 0; reg < 4; ++reg) af[reg] = word(gemv_a_upper(reg) ? hi : lo, gemv_a_word(step, reg));
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const std::uint32_t bf[2] = {word(b[nt], gemv_b_word(step, 0)), word(b[nt], gemv_b_word(step, 1))};
      mma_16816<T>(acc[nt], af, bf);
    }
  }
}

template <class T>
__device__ __forceinline__ void store_tile(const GemmArgs& p, char* c, std::int64_t n0, int g, int t,
                                           const float (&sum)[NT][4]) {
  using Pair = typename MmaType<T>::pair;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    const std::int64_t col = n0 + nt * 8 + mma_c_col(0, t);
    if (col >= p.n) continue;  // N is even: a pair is in or out as a whole
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const std::int64_t row = mma_c_row(2 * half, g);
      if (row < p.m) {
        *reinterpret_cast<Pair*>(c + 2 * (row * p.c.ld + col)) =
            MmaType<T>::pack(sum[nt][2 * half], sum[nt][2 * half + 1]);
      }
    }
  }
}

template <int RG, class T>
__global__ void __launch_bounds__(kThreads, min_blocks(RG))
    gemv_mma_pipe_kernel(const GemmArgs p, const StreamK sk, unsigned long long* counters, float* partials,
                         std::uint64_t token) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  extern __shared__ __align__(128) unsigned char smem[];
  float(*stash)[E][32] = reinterpret_cast<float(*)[E][32]>(smem);  // 4 slots, used once the ring is drained
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  unsigned char* ring = smem + warp * STAGES * pieces(RG) * 512;
  const std::uint32_t ring_address = smem_address(ring);
  const std::uint64_t policy = evict_first_policy();
  const std::int64_t n_tiles = (p.n + BLOCK_N - 1) / BLOCK_N;
  const std::int64_t block = blockIdx.x, range_end = sk.begin(block + 1);

  for (std::int64_t u = sk.begin(block); u < range_end;) {
    const Segment seg = segment_at(sk, u, range_end);
    u += seg.c1 - seg.c0;
    const std::int64_t z = seg.tile / n_tiles, n0 = (seg.tile % n_tiles) * BLOCK_N;
    Rows rows;
    const char* b = matrix_base(p.b, z, p.heads);
    const char* a = matrix_base(p.a, z, p.heads);
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) rows.b[nt] = b + 2 * clamp_index(n0 + nt * 8 + g, p.n) * p.b.ld;
#pragma unroll
    for (int r = 0; r < RG; ++r) rows.a[r] = a + 2 * clamp_index(r * 8 + g, p.m) * p.a.ld;

    float acc[NT][4] = {};
    const int count = warp_chunk_count(seg.c0, seg.c1, warp, kWarps);
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
      if (s < count) {
        copy_chunk<RG>(rows, ring_address + ring_slot(s, STAGES) * pieces(RG) * 512,
                       warp_chunk(seg.c0, warp, s, kWarps), p.k, t, lane, policy);
      }
      cp_async_commit();
    }
#pragma unroll 1
    for (int i = 0; i < count; ++i) {
      const int ahead = i + STAGES - 1;  // into the slot chunk i - 1 has freed
      if (ahead < count) {
        copy_chunk<RG>(rows, ring_address + ring_slot(ahead, STAGES) * pieces(RG) * 512,
                       warp_chunk(seg.c0, warp, ahead, kWarps), p.k, t, lane, policy);
      }
      cp_async_commit();            // an empty group near the end keeps the count uniform
      cp_async_wait<STAGES - 1>();  // chunk i has landed; chunks i + 1 .. i + STAGES - 1 stay in flight
      mma_chunk<RG, T>(acc, ring + ring_slot(i, STAGES) * pieces(RG) * 512, lane);
    }
    cp_async_wait<0>();

    // Add the 8 warps' accumulators in the stash (overlaid on the drained ring): 7 -> 3, 6 -> 2, 5 -> 1, 4 -> 0, then
    // 3, 2, 1 -> 0.
    __syncthreads();  // every warp is done with its ring
    if (warp >= 4) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) stash[warp - 4][nt * 4 + i][lane] = acc[nt][i];
      }
    }
    __syncthreads();
    if (warp < 4) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          acc[nt][i] += stash[warp][nt * 4 + i][lane];
          if (warp > 0) stash[warp][nt * 4 + i][lane] = acc[nt][i];  // its own slot: no race
        }
      }
    }
    __syncthreads();
    if (warp == 0) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          acc[nt][i] += stash[1][nt * 4 + i][lane] + stash[2][nt * 4 + i][lane] + stash[3][nt * 4 + i][lane];
        }
      }
    }
    __syncthreads();  // the stash is read: the rings may be refilled
    if (warp != 0) continue;

    char* c = const_cast<char*>(matrix_base(p.c, z, p.heads));
    if (!sk.split(seg.tile)) {
      store_tile<T>(p, c, n0, g, t, acc);
      continue;
    }
    // A split tile: park this block's partial, arrive, and the last contributor adds them all in block order.
    float* mine = partials + ((block * 2 + sk.slot(block, seg.tile)) * E) * 32;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
      for (int i = 0; i < 4; ++i) __stcg(mine + (nt * 4 + i) * 32 + lane, acc[nt][i]);
    }
    __threadfence();
    __syncwarp();
    int last = 0;
    if (lane == 0) last = arrive_on(counters + sk.first_block(seg.tile), token, sk.contributors(seg.tile)) ? 1 : 0;
    if (__shfl_sync(0xFFFFFFFFu, last, 0) == 0) continue;
    __threadfence();
    float sum[NT][4] = {};
    for (std::int64_t j = sk.first_block(seg.tile); j <= sk.last_block(seg.tile); ++j) {
      const float* theirs = partials + ((j * 2 + sk.slot(j, seg.tile)) * E) * 32;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) sum[nt][i] += __ldcg(theirs + (nt * 4 + i) * 32 + lane);
      }
    }
    store_tile<T>(p, c, n0, g, t, sum);
  }
#endif
}

// The launch configuration, shared by launch() and workspace_bytes() so the two always agree.
int max_blocks(const GemmArgs& p) { return std::max(p.sm_count, 1) * kMaxBlocksPerSm; }

std::size_t workspace_bytes(const GemmArgs& p) {
  return static_cast<std::size_t>(max_blocks(p)) * (sizeof(unsigned long long) + 2 * sizeof(float) * E * 32);
}

template <int RG, class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  const auto kernel = gemv_mma_pipe_kernel<RG, T>;
  // Once per process (one device per process): the opt-in above 48 KiB, and the resident blocks per SM.
  static const int per_sm = [&] {
    int blocks = 0;
    if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem_bytes(RG)) != cudaSuccess)
      return 0;
    return cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kThreads, smem_bytes(RG)) == cudaSuccess
               ? blocks
               : 0;
  }();
  if (per_sm < 1) return cudaErrorInvalidConfiguration;
  StreamK sk;
  sk.tiles = (p.n + BLOCK_N - 1) / BLOCK_N * p.batch * p.heads;
  sk.chunks = (p.k + 31) / 32;
  sk.blocks = std::min<std::int64_t>(std::max(p.sm_count, 1) * std::min(per_sm, kMaxBlocksPerSm), sk.units());
  auto* counters = static_cast<unsigned long long*>(p.workspace);
  auto* partials = reinterpret_cast<float*>(counters + max_blocks(p));
  kernel<<<static_cast<unsigned>(sk.blocks), kThreads, smem_bytes(RG), stream>>>(p, sk, counters, partials,
                                                                                 next_launch_token());
  return cudaGetLastError();
}

cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  if (p.workspace == nullptr) return cudaErrorInvalidValue;
  const bool f16 = p.element == Element::kF16;
  if (p.m <= 8) return f16 ? launch_typed<1, __half>(p, stream) : launch_typed<1, __nv_bfloat16>(p, stream);
  return f16 ? launch_typed<2, __half>(p, stream) : launch_typed<2, __nv_bfloat16>(p, stream);
}

bool operand_ok(const MatrixArg& m) {
  return m.ld % 8 == 0 && m.batch_stride % 8 == 0 && m.head_stride % 8 == 0 && m.head_group >= 1 &&
         (reinterpret_cast<std::uintptr_t>(m.data) & 15) == 0;
}

const char* supports(const GemmArgs& p, int sm) {
  if (sm < 80) return "needs sm_80 or newer (mma.sync m16n8k16, cp.async)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (p.m < 1 || p.m > 16) return "M must be 1 to 16 (decode, b <= 16; larger b: gemv_mma_splitk)";
  if (!p.b_transposed) return "B must be stored [N x K]";
  if (p.n < 1 || p.k < 8 || p.k % 8 != 0 || p.n % 2 != 0) return "K must be a multiple of 8 and N even";
  if (!operand_ok(p.a) || !operand_ok(p.b) || !operand_ok(p.c)) {
    return "leading dimensions and strides must be multiples of 8 elements, bases 16-byte aligned";
  }
  if (max_blocks(p) > kMaxContributors) return "too many SMs for the split counters";
  return "";
}

// Not picked by `hand` before a GPU run shows it correct and faster than gemv_mma_splitk (issue 13); it sits after
// gemv_mma_splitk in the table, which suits the same problems.
bool suits(const GemmArgs& p) { return p.m <= 16 && p.k >= 512; }

}  // namespace

GemmVariant gemv_mma_pipe_variant() { return {"gemv_mma_pipe", 80, 0, supports, launch, suits, workspace_bytes}; }

}  // namespace kernels

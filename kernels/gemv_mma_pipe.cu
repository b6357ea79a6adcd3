// gemv_mma_pipe: the decode linears, C[M x N] = A[M x K] * B^T with B stored [N x K] and M <= 16, per (batch, head);
// gemv_mma_splitk's successor for b <= 16; the table (variants.cu) ranks them.
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
// (overlaid on the drained ring). The body is decode_pipeline.cuh's, shared with pv_decode_fused; GemvOp is this file.
// Resources (ptxas, sm_90a): 80 registers (capped for 3 blocks per SM) and 60 KiB of shared memory at M <= 8: 3 blocks
// per H100 SM, 24 warps x 3 chunks x 2 KiB = 144 KiB of B in flight per SM; at M <= 16, 119 registers and 72 KiB: 2
// blocks, 96 KiB in flight. (sm_86/89: 1 block per SM by shared memory, 48 KiB in flight, ample for an A40.)
// Workspace: one counter per block slot, then two fp32 partial slots per block (decode_schedule.cuh, StreamK::slot).
// Limits: M <= 16 (larger M stays on gemv_mma_splitk), B stored [N x K], K a multiple of 8, N even, 16-byte aligned
// rows.
#include <algorithm>

#include "kernels/decode_pipeline.cuh"
#include "kernels/gemv_mma_pipe.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;

constexpr int kWarps = GemvPipe::kWarps;  // a block's warps share the chunks of a segment
constexpr int kThreads = kWarps * 32;
constexpr int NT = GemvPipe::NT;  // n8 tiles per tile: 32 columns
constexpr int BLOCK_N = GemvPipe::BLOCK_N;

// Word i of a 16-byte piece; i is a constant after unrolling, so this is a register, not an indexed array.
__device__ __forceinline__ std::uint32_t word(const uint4& v, int i) {
  return i == 0 ? v.x : (i == 1 ? v.y : (i == 2 ? v.z : v.w));
}

// RG: row groups of 8 loaded from A (1: M <= 8, 2: M <= 16). A ring slot holds, per lane, 16-byte pieces of the 4
// rows of B n0 + 8 nt + g, then of the RG rows of A 8 r + g, at elements gemv_k(chunk, t) .. + 7.
template <int RG, class T>
struct GemvOp {
  static constexpr int kWarps = GemvPipe::kWarps, kStages = GemvPipe::STAGES, kTiles = NT;
  static constexpr int kSlotBytes = (NT + RG) * 512;

  struct Tile {
    const char* b[NT];
    const char* a[RG];
    char* c;
    std::int64_t n0, k;
  };

  static __device__ __forceinline__ Tile tile(const GemmArgs& p, std::int64_t index, int lane) {
    const std::int64_t n_tiles = (p.n + BLOCK_N - 1) / BLOCK_N;
    const std::int64_t z = index / n_tiles;
    const int g = lane >> 2;
    Tile tl;
    tl.n0 = (index % n_tiles) * BLOCK_N;
    tl.k = p.k;
    const char* b = matrix_base(p.b, z, p.heads);
    const char* a = matrix_base(p.a, z, p.heads);
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) tl.b[nt] = b + 2 * clamp_index(tl.n0 + nt * 8 + g, p.n) * p.b.ld;
#pragma unroll
    for (int r = 0; r < RG; ++r) tl.a[r] = a + 2 * clamp_index(r * 8 + g, p.m) * p.a.ld;
    tl.c = const_cast<char*>(matrix_base(p.c, z, p.heads));
    return tl;
  }

  static __device__ __forceinline__ void copy(const Tile& tl, std::uint32_t slot, std::int64_t chunk, int lane,
                                              std::uint64_t policy) {
    const std::int64_t k = gemv_k(chunk, lane & 3);
    const bool valid = k < tl.k;
    const std::int64_t kk = valid ? k : tl.k - 8;  // a valid address; nothing is read from it (size 0)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) cp_async_16_hint(slot + nt * 512 + lane * 16, tl.b[nt] + 2 * kk, valid, policy);
#pragma unroll
    for (int r = 0; r < RG; ++r) cp_async_16(slot + (NT + r) * 512 + lane * 16, tl.a[r] + 2 * kk, valid);
  }

  static __device__ __forceinline__ void mma(float (&acc)[NT][4], const unsigned char* slot, int lane) {
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

  static __device__ __forceinline__ void store(const GemmArgs& p, const Tile& tl, const float (&sum)[NT][4], int lane) {
    using Pair = typename MmaType<T>::pair;
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const std::int64_t col = tl.n0 + nt * 8 + mma_c_col(0, t);
      if (col >= p.n) continue;  // N is even: a pair is in or out as a whole
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const std::int64_t row = mma_c_row(2 * half, g);
        if (row < p.m) {
          *reinterpret_cast<Pair*>(tl.c + 2 * (row * p.c.ld + col)) =
              MmaType<T>::pack(sum[nt][2 * half], sum[nt][2 * half + 1]);
        }
      }
    }
  }
};

constexpr int smem_bytes(int rg) { return (NT + rg) * 512 * kWarps * GemvPipe::STAGES; }
// Blocks per SM the registers are capped for: 3 x 60 KiB of shared memory fit an H100 SM; at M <= 16 the registers
// (about 115) allow 2 without a cap, and a cap of 80 spills.
constexpr int min_blocks(int rg) { return rg == 1 ? 3 : 2; }

template <int RG, class T>
__global__ void __launch_bounds__(kThreads, min_blocks(RG))
    gemv_mma_pipe_kernel(const GemmArgs p, const StreamK sk, unsigned long long* counters, float* partials,
                         std::uint64_t token) {
#if BENCH_LLAMA_SM80_DEVICE
  stream_k_pipeline<GemvOp<RG, T>>(p, sk, counters, partials, token);
#endif
}

std::size_t workspace_bytes(const GemmArgs& p) {
  return stream_k_workspace_bytes<GemvOp<1, __half>>(p);  // the same for every RG and element type
}

template <int RG, class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  const auto kernel = gemv_mma_pipe_kernel<RG, T>;
  static const int per_sm = resident_blocks(kernel, kThreads, smem_bytes(RG));  // once per process
  return launch_stream_k(kernel, p, (p.n + BLOCK_N - 1) / BLOCK_N * p.batch * p.heads, (p.k + 31) / 32, per_sm,
                         kThreads, smem_bytes(RG), stream);
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
  if (stream_k_max_blocks(p) > kMaxContributors) return "too many SMs for the split counters";
  return "";
}

// It suits the same problems as gemv_mma_splitk; which one `hand` takes is the table's ranking (variants.cu).
bool suits(const GemmArgs& p) { return p.m <= 16 && p.k >= 512; }

}  // namespace

GemmVariant gemv_mma_pipe_variant() { return {"gemv_mma_pipe", 80, 0, supports, launch, suits, workspace_bytes}; }

}  // namespace kernels

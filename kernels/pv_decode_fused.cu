// pv_decode_fused: decode attention's pv, O[g x d] = P[g x s] * V[s x d] for every (batch, KV head), where the g
// rows are the query heads that share the KV head (g = heads / kv_heads: 1 for Llama 33B, 8 for Llama-2-70B).
// pv_decode_split's successor; the table (variants.cu) ranks them.
//
// Bottleneck: DRAM. V (the KV cache) is the whole of the traffic; the minimum-bytes accounting counts each KV head
// once, and this kernel reads it once: a grouped-query model's query heads are the M rows of one tensor-core tile
// (pv_decode_split, like every per-head kernel, reads a KV head once per query head, with evict-first loads). What
// changed, and why it should keep more bytes in flight:
// 1. The shared pipelined stream-K body (decode_pipeline.cuh): per warp a cp.async ring 3 k16 chunks deep (3 x 2 KiB
//    of V in flight per warp, the copy of chunk i + 2 issued before the wait for chunk i), a persistent grid sized by
//    the occupancy API, the (KV head, 64 columns) x (k16 chunk) units cut evenly across it, and the reduce folded into
//    the last block to finish each split tile (split_counter.cuh): no second launch, no memset.
//    pv_decode_split has one 16-byte load in flight per thread and a second launch for the reduce.
// 2. Tensor cores, fed straight from the lanes' own copies: V is stored [s x d] (n contiguous), so k (rows of V) and n
//    (columns) are both permuted (decode_schedule.cuh, pv_*): lane (g, t) copies rows 4t .. 4t+3, columns 8g .. 8g+7,
//    and builds each B register from two of its pieces with one PRMT. Outputs go out as pairs of adjacent columns.
// 3. V under an L2 evict-first policy; P (tiny) through L1.
// Resources (ptxas): 96-98 registers, 54 KiB (g <= 8) or 60 KiB of shared memory: 2 blocks per H100 SM by registers,
// 16 warps x 3 chunks x 2 KiB = 96 KiB of V in flight per SM (an A40: 1 block, 48 KiB).
// Limits: M = 1 (one query token); B stored [K x N] (V); N = head_dim a multiple of 64, at most 256; K = context a
// multiple of 4; at most 16 query heads per KV head; P rows 8-byte aligned, V rows 16-byte aligned, O rows 4-byte
// aligned.
#include <algorithm>

#include "kernels/decode_pipeline.cuh"
#include "kernels/pv_decode_fused.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;

constexpr int kWarps = PvPipe::kWarps;
constexpr int kThreads = kWarps * 32;
constexpr int N8 = PvPipe::N8;  // n8 tiles per tile

__device__ __forceinline__ std::uint32_t word(const uint4& v, int i) {
  return i == 0 ? v.x : (i == 1 ? v.y : (i == 2 ? v.z : v.w));
}

// The query heads of one KV head, and where their rows of P and O live.
struct Group {
  std::int64_t batch, kv_head, size;
};
__device__ __forceinline__ Group group_of(const GemmArgs& p, std::int64_t z_kv) {
  const std::int64_t size = p.b.head_group, kv_heads = p.heads / size;
  return {z_kv / kv_heads, z_kv % kv_heads, size};
}

// RG: row groups of 8 query heads (1: at most 8 per KV head, 2: at most 16). A ring slot holds, per lane, the 4
// pieces of V (16 bytes each, 512 bytes per warp and piece), then RG pieces of P (8 bytes, 256 per warp).
template <int RG, class T>
struct PvOp {
  static constexpr int kWarps = PvPipe::kWarps, kStages = PvPipe::STAGES, kTiles = N8;
  static constexpr int kSlotBytes = 4 * 512 + RG * 256;

  struct Tile {
    const char* v;      // row 0 of V, this lane's 8 columns
    const char* p[RG];  // P rows of query heads 8 r + g (clamped)
    char* o[2];         // O rows of query heads g and g + 8 (clamped), at the tile's first column
    std::int64_t s, ld;
  };

  static __device__ __forceinline__ Tile tile(const GemmArgs& p, std::int64_t index, int lane) {
    const std::int64_t col_groups = p.n / PvPipe::COLS;
    const Group grp = group_of(p, index / col_groups);
    const std::int64_t col0 = (index % col_groups) * PvPipe::COLS;
    const int g = lane >> 2;
    const std::int64_t first_head = grp.batch * p.heads + grp.kv_head * grp.size;  // (batch, head) index of row 0
    Tile tl;
    tl.v = matrix_base(p.b, first_head, p.heads) + 2 * (col0 + 8 * g);
    tl.s = p.k;
    tl.ld = p.b.ld;
#pragma unroll
    for (int r = 0; r < RG; ++r) tl.p[r] = matrix_base(p.a, first_head + clamp_index(8 * r + g, grp.size), p.heads);
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      tl.o[half] =
          const_cast<char*>(matrix_base(p.c, first_head + clamp_index(8 * half + g, grp.size), p.heads)) + 2 * col0;
    }
    return tl;
  }

  static __device__ __forceinline__ void copy(const Tile& tl, std::uint32_t slot, std::int64_t chunk, int lane,
                                              std::uint64_t policy) {
    const int t = lane & 3;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const std::int64_t row = chunk * 16 + pv_row(t, q);
      const bool valid = row < tl.s;
      cp_async_16_hint(slot + q * 512 + lane * 16, tl.v + 2 * clamp_index(row, tl.s) * tl.ld, valid, policy);
    }
    const std::int64_t first = chunk * 16 + pv_row(t, 0);  // 4 rows; K % 4 == 0, so all in or all out
    const bool valid = first < tl.s;
#pragma unroll
    for (int r = 0; r < RG; ++r)
      cp_async_8(slot + 4 * 512 + r * 256 + lane * 8, tl.p[r] + 2 * (valid ? first : 0), valid);
  }

  static __device__ __forceinline__ void mma(float (&acc)[N8][4], const unsigned char* slot, int lane) {
    uint4 v[4];
    uint2 pp[RG];
#pragma unroll
    for (int q = 0; q < 4; ++q) v[q] = *reinterpret_cast<const uint4*>(slot + q * 512 + lane * 16);
#pragma unroll
    for (int r = 0; r < RG; ++r) pp[r] = *reinterpret_cast<const uint2*>(slot + 4 * 512 + r * 256 + lane * 8);
    std::uint32_t af[4];
#pragma unroll
    for (int reg = 0; reg < 4; ++reg) {
      const uint2 piece = pp[pv_a_upper(reg) ? RG - 1 : 0];  // rows g + 8 duplicate rows g when RG is 1: not stored
      af[reg] = pv_a_word(reg) == 0 ? piece.x : piece.y;
    }
#pragma unroll
    for (int j = 0; j < N8; ++j) {
      std::uint32_t bf[2];
#pragma unroll
      for (int reg = 0; reg < 2; ++reg) {
        // Element j of two pieces: the low (j even) or high (j odd) halves of word j / 2 of each, side by side.
        bf[reg] = __byte_perm(word(v[pv_b_piece(reg, 0)], j / 2), word(v[pv_b_piece(reg, 1)], j / 2), pv_b_selector(j));
      }
      mma_16816<T>(acc[j], af, bf);
    }
  }

  static __device__ __forceinline__ void store(const GemmArgs& p, const Tile& tl, const float (&sum)[N8][4], int lane) {
    using Pair = typename MmaType<T>::pair;
    const int g = lane >> 2, t = lane & 3;
    const std::int64_t group = p.b.head_group;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      if (mma_c_row(i, g) >= group) continue;
      char* row = tl.o[i / 2];
#pragma unroll
      for (int j = 0; j < N8; j += 2) {  // n8 tiles j and j + 1 hold adjacent columns
        *reinterpret_cast<Pair*>(row + 2 * pv_col(mma_c_col(i, t), j)) = MmaType<T>::pack(sum[j][i], sum[j + 1][i]);
      }
    }
  }
};

constexpr int smem_bytes(int rg) { return (4 * 512 + rg * 256) * kWarps * PvPipe::STAGES; }

template <int RG, class T>
__global__ void __launch_bounds__(kThreads)
    pv_decode_fused_kernel(const GemmArgs p, const StreamK sk, unsigned long long* counters, float* partials,
                           std::uint64_t token) {
#if BENCH_LLAMA_SM80_DEVICE
  stream_k_pipeline<PvOp<RG, T>>(p, sk, counters, partials, token);
#endif
}

std::size_t workspace_bytes(const GemmArgs& p) {
  return stream_k_workspace_bytes<PvOp<1, __half>>(p);  // the same for every RG and element type
}

template <int RG, class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  const auto kernel = pv_decode_fused_kernel<RG, T>;
  static const int per_sm = resident_blocks(kernel, kThreads, smem_bytes(RG));  // once per process
  return launch_stream_k(kernel, p, p.batch * (p.heads / p.b.head_group) * (p.n / PvPipe::COLS), (p.k + 15) / 16,
                         per_sm, kThreads, smem_bytes(RG), stream);
}

cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  if (p.workspace == nullptr) return cudaErrorInvalidValue;
  const bool f16 = p.element == Element::kF16;
  if (p.b.head_group <= 8) return f16 ? launch_typed<1, __half>(p, stream) : launch_typed<1, __nv_bfloat16>(p, stream);
  return f16 ? launch_typed<2, __half>(p, stream) : launch_typed<2, __nv_bfloat16>(p, stream);
}

bool aligned(const void* p, std::uintptr_t bytes) { return (reinterpret_cast<std::uintptr_t>(p) & (bytes - 1)) == 0; }

const char* supports(const GemmArgs& p, int sm) {
  if (sm < 80) return "needs sm_80 or newer (mma.sync m16n8k16, cp.async)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (p.m != 1) return "M must be 1 (one query token)";
  if (p.b_transposed) return "B must be stored [K x N] (V)";
  if (p.n % PvPipe::COLS != 0 || p.n < PvPipe::COLS || p.n > 256) return "N (head_dim) must be 64, 128, 192 or 256";
  if (p.k < 4 || p.k % 4 != 0) return "K (context) must be a multiple of 4";
  if (p.a.head_group != 1 || p.c.head_group != 1) return "P and O must have one matrix per query head";
  if (p.b.head_group < 1 || p.b.head_group > 16 || p.heads % p.b.head_group != 0) {
    return "1 to 16 query heads per KV head, dividing the heads";
  }
  if (p.b.ld % 8 != 0 || p.b.batch_stride % 8 != 0 || p.b.head_stride % 8 != 0 || !aligned(p.b.data, 16)) {
    return "V's rows must start 16-byte aligned";
  }
  if (p.a.batch_stride % 4 != 0 || p.a.head_stride % 4 != 0 || !aligned(p.a.data, 8)) {
    return "P's rows must start 8-byte aligned";
  }
  if (p.c.batch_stride % 2 != 0 || p.c.head_stride % 2 != 0 || !aligned(p.c.data, 4)) {
    return "O's rows must start 4-byte aligned";
  }
  if (stream_k_max_blocks(p) > kMaxContributors) return "too many SMs for the split counters";
  return "";
}

// It suits the same problems as pv_decode_split; which one `hand` takes is the table's ranking (variants.cu).
bool suits(const GemmArgs& p) { return p.m == 1; }

}  // namespace

GemmVariant pv_decode_fused_variant() { return {"pv_decode_fused", 80, 0, supports, launch, suits, workspace_bytes}; }

}  // namespace kernels

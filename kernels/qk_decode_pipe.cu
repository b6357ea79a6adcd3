// qk_decode_pipe: decode attention's qk, S[g x s] = Q[g x d] * K^T for every (batch, KV head), K the head's slice of
// the KV cache stored [s x d], the g rows the query heads that share the KV head (1 for Llama 33B, 8 for Llama-2-70B).
// gemv_mma_wide's successor for decode qk; the table (variants.cu) ranks them.
//
// Bottleneck: DRAM. The K cache is the whole of the traffic, and this kernel reads each KV head once, as the
// minimum-bytes accounting counts it (gemv_mma_wide, like every per-head kernel, reads it once per query head).
// What changed:
// 1. A warp owns whole outputs: a warp tile is 8 keys times all of head_dim (K = d is short, so there is nothing to
//    split and no reduction). gemv_mma_wide's block moves 8 KiB in two serialized round trips and ends.
// 2. Each warp walks a contiguous range of key tiles (WarpRanges: the same bytes for every warp, +-1 tile) through a
//    cp.async ring 3 tiles deep: the copy of tile i + 2 is issued before the wait for tile i, 3 x 2 KiB (d = 128) in
//    flight per warp. The query fragments are loaded once per (batch, KV head) segment of the range, before its loop.
// 3. A persistent grid sized by the occupancy API; warps are independent (no barrier at all).
// 4. K under an L2 evict-first policy; keys past s are clamped (their scores are never stored).
// Resources (ptxas, d = 128, g <= 8): 68-70 registers, 3 x 2 KiB of shared memory per warp (48 KiB per block): 3 blocks
// per SM by registers on an H100, 24 warps x 3 x 2 KiB = 144 KiB of K in flight per SM (an A40: 2 blocks, 96 KiB).
// Limits: M = 1 (one query token); B stored [N x K] (K); K = head_dim 64, 128 or 256; N = context even; at most 16
// query heads per KV head; Q and K rows 16-byte aligned, score rows 4-byte aligned.
#include <algorithm>

#include "kernels/decode_schedule.cuh"
#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/qk_decode_pipe.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;

constexpr int kWarps = QkPipe::kWarps;
constexpr int kThreads = kWarps * 32;
constexpr int STAGES = QkPipe::STAGES;
constexpr int kMaxBlocksPerSm = 8;

__device__ __forceinline__ std::uint32_t word(const uint4& v, int i) {
  return i == 0 ? v.x : (i == 1 ? v.y : (i == 2 ? v.z : v.w));
}

// Tile i of a segment: keys key0 + 8 i + g (clamped), all of head_dim, one 16-byte piece per lane and k32 chunk.
template <int KC>
__device__ __forceinline__ void copy_tile(const GemmArgs& p, const char* k_cache, std::int64_t key0, int i,
                                          std::uint32_t ring_address, int lane, std::uint64_t policy) {
  const std::int64_t key = clamp_index(key0 + i * QkPipe::KEYS + (lane >> 2), p.n);
  const std::uint32_t slot = ring_address + ring_slot(i, STAGES) * (KC * 512);
#pragma unroll
  for (int kc = 0; kc < KC; ++kc) {
    cp_async_16_hint(slot + kc * 512 + lane * 16, k_cache + 2 * (key * p.b.ld + gemv_k(kc, lane & 3)), true, policy);
  }
}

// KC: k32 chunks of head_dim (2, 4, 8); RG: row groups of 8 query heads (1: at most 8 per KV head, 2: at most 16).
// (The explicit minimum of 1 block: with none, ptxas held the d = 128 kernel to 64 registers and spilled on sm_8x.)
template <int KC, int RG, class T>
__global__ void __launch_bounds__(kThreads, 1)
    qk_decode_pipe_kernel(const GemmArgs p, const WarpRanges ranges, std::int64_t per_head) {
#if BENCH_LLAMA_SM80_DEVICE
  BENCH_LLAMA_DYNAMIC_SHARED(smem, 128);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  constexpr int kSlotBytes = KC * 512;  // one 16-byte piece per lane and chunk
  unsigned char* ring = smem + warp * STAGES * kSlotBytes;
  const std::uint32_t ring_address = smem_address(ring);
  const std::uint64_t policy = evict_first_policy();
  const std::int64_t group = p.b.head_group, kv_heads = p.heads / group;
  const std::int64_t w = static_cast<std::int64_t>(blockIdx.x) * kWarps + warp, range_end = ranges.first(w + 1);

  for (std::int64_t t0 = ranges.first(w); t0 < range_end;) {
    const std::int64_t t1 = head_segment_end(t0, range_end, per_head);
    const std::int64_t z_kv = t0 / per_head, key0 = (t0 % per_head) * QkPipe::KEYS;
    const int count = static_cast<int>(t1 - t0);
    t0 = t1;
    const std::int64_t first_head = (z_kv / kv_heads) * p.heads + (z_kv % kv_heads) * group;  // (batch, head) of row 0

    const char* k_cache = matrix_base(p.b, first_head, p.heads);
    uint4 q[RG][KC];  // this lane's pieces of the query rows 8 r + g (clamped), elements 32 kc + 8t .. + 7
#pragma unroll
    for (int r = 0; r < RG; ++r) {
      const char* row = matrix_base(p.a, first_head + clamp_index(8 * r + g, group), p.heads);
#pragma unroll
      for (int kc = 0; kc < KC; ++kc) q[r][kc] = __ldg(reinterpret_cast<const uint4*>(row + 2 * gemv_k(kc, t)));
    }
    char* scores[2];  // rows of query heads g and g + 8 (clamped)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      scores[half] = const_cast<char*>(matrix_base(p.c, first_head + clamp_index(8 * half + g, group), p.heads));
    }

#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
      if (s < count) copy_tile<KC>(p, k_cache, key0, s, ring_address, lane, policy);
      cp_async_commit();
    }
#pragma unroll 1
    for (int i = 0; i < count; ++i) {
      if (i + STAGES - 1 < count) {  // into the slot tile i - 1 has freed
        copy_tile<KC>(p, k_cache, key0, i + STAGES - 1, ring_address, lane, policy);
      }
      cp_async_commit();
      cp_async_wait<STAGES - 1>();  // tile i has landed; tiles i + 1 .. i + STAGES - 1 stay in flight
      const unsigned char* slot = ring + ring_slot(i, STAGES) * kSlotBytes;
      float acc[4] = {};
#pragma unroll
      for (int kc = 0; kc < KC; ++kc) {
        const uint4 b = *reinterpret_cast<const uint4*>(slot + kc * 512 + lane * 16);
        const uint4 lo = q[0][kc], hi = q[RG - 1][kc];  // rows g + 8 duplicate rows g when RG is 1: not stored
#pragma unroll
        for (int step = 0; step < 2; ++step) {
          std::uint32_t af[4];
#pragma unroll
          for (int reg = 0; reg < 4; ++reg) af[reg] = word(gemv_a_upper(reg) ? hi : lo, gemv_a_word(step, reg));
          const std::uint32_t bf[2] = {word(b, gemv_b_word(step, 0)), word(b, gemv_b_word(step, 1))};
          mma_16816<T>(acc, af, bf);
        }
      }
      const std::int64_t key = key0 + i * QkPipe::KEYS + mma_c_col(0, t);
      if (key < p.n) {  // N is even: a pair is in or out as a whole
        using Pair = typename MmaType<T>::pair;
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          if (mma_c_row(2 * half, g) < group) {
            *reinterpret_cast<Pair*>(scores[half] + 2 * key) = MmaType<T>::pack(acc[2 * half], acc[2 * half + 1]);
          }
        }
      }
    }
    cp_async_wait<0>();
  }
#endif
}

constexpr int smem_bytes(int kc) { return kc * 512 * STAGES * kWarps; }

template <int KC, int RG, class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  const auto kernel = qk_decode_pipe_kernel<KC, RG, T>;
  static const int per_sm = resident_blocks(kernel, kThreads, smem_bytes(KC));  // once per process
  if (per_sm < 1) return cudaErrorInvalidConfiguration;
  const std::int64_t per_head = (p.n + QkPipe::KEYS - 1) / QkPipe::KEYS;
  WarpRanges ranges;
  ranges.tiles = p.batch * (p.heads / p.b.head_group) * per_head;
  const std::int64_t blocks = std::min<std::int64_t>(std::max(p.sm_count, 1) * std::min(per_sm, kMaxBlocksPerSm),
                                                     (ranges.tiles + kWarps - 1) / kWarps);
  ranges.warps = blocks * kWarps;
  return launch_kernel(kernel, {dim3(static_cast<unsigned>(blocks)), dim3(kThreads), smem_bytes(KC)}, stream, p, ranges,
                       per_head);
}

template <int KC, class T>
cudaError_t launch_rows(const GemmArgs& p, cudaStream_t stream) {
  return p.b.head_group <= 8 ? launch_typed<KC, 1, T>(p, stream) : launch_typed<KC, 2, T>(p, stream);
}

template <class T>
cudaError_t launch_dim(const GemmArgs& p, cudaStream_t stream) {
  switch (p.k) {
    case 64:
      return launch_rows<2, T>(p, stream);
    case 128:
      return launch_rows<4, T>(p, stream);
    case 256:
      return launch_rows<8, T>(p, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  return p.element == Element::kF16 ? launch_dim<__half>(p, stream) : launch_dim<__nv_bfloat16>(p, stream);
}

bool aligned(const void* p, std::uintptr_t bytes) { return (reinterpret_cast<std::uintptr_t>(p) & (bytes - 1)) == 0; }

const char* supports(const GemmArgs& p, int sm) {
  if (sm < 80) return "needs sm_80 or newer (mma.sync m16n8k16, cp.async)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (p.m != 1) return "M must be 1 (one query token)";
  if (!p.b_transposed) return "B must be stored [N x K] (the K cache)";
  if (p.k != 64 && p.k != 128 && p.k != 256) return "K (head_dim) must be 64, 128 or 256";
  if (p.n < 2 || p.n % 2 != 0) return "N (context) must be even";
  if (p.a.head_group != 1 || p.c.head_group != 1) return "Q and the scores must have one matrix per query head";
  if (p.b.head_group < 1 || p.b.head_group > 16 || p.heads % p.b.head_group != 0) {
    return "1 to 16 query heads per KV head, dividing the heads";
  }
  if (p.b.ld % 8 != 0 || p.b.batch_stride % 8 != 0 || p.b.head_stride % 8 != 0 || !aligned(p.b.data, 16)) {
    return "K's rows must start 16-byte aligned";
  }
  if (p.a.batch_stride % 8 != 0 || p.a.head_stride % 8 != 0 || !aligned(p.a.data, 16)) {
    return "Q's rows must start 16-byte aligned";
  }
  if (p.c.batch_stride % 2 != 0 || p.c.head_stride % 2 != 0 || !aligned(p.c.data, 4)) {
    return "the score rows must start 4-byte aligned";
  }
  return "";
}

// It suits the same problems as gemv_mma_wide; which one `hand` takes is the table's ranking (variants.cu).
bool suits(const GemmArgs& p) { return p.m == 1 && p.k <= 256; }
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

GemmVariant qk_decode_pipe_variant() { return {"qk_decode_pipe", 80, 0, supports, launch, suits, no_workspace}; }

}  // namespace kernels

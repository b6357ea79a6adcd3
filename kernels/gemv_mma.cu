// gemv_mma: C[M x N] = A[M x K] * B^T with B stored [N x K] and M <= 64, per (batch, head).
//
// Bottleneck: DRAM. B (a weight matrix, or a head's K cache) is read exactly once and is the whole of the traffic;
// A (the b tokens, at most 64 x 17920 x 2 bytes = 2.3 MB) stays in L2. So every block streams B with 16-byte loads,
// several in flight per thread, and the grid has several blocks per SM even at b = 1 (a block covers only 16 or 32
// columns of N; K is split across the warps of a block and reduced in shared memory, which needs no workspace).
// Tensor cores do the arithmetic at every M: they keep the instruction count per byte low enough that the loads, not
// the FMAs, stay the limit up to M = 64 (CUDA-core FMAs would need M multiply-adds per loaded element).
//
// The trick that lets a thread feed the MMA from one 16-byte load: a sum over k does not depend on the order of k,
// so a k32 chunk is permuted consistently for A and B. Thread (g = lane / 4, t = lane % 4) loads elements
// 8t .. 8t+7 of its row of B (and of A's rows g and g + 8) and uses 8t..8t+1 and 8t+2..8t+3 as the MMA's k slots
// 2t..2t+1 and 2t+8..2t+9 of the first k16 step, 8t+4..8t+7 for the second. Every k of the chunk is used exactly once,
// with the same slot in A and B.
// Limits: M <= 64, B stored [N x K], K a multiple of 8, leading dimensions and strides multiples of 8 elements.
#include "kernels/gemv_mma.cuh"
#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;

template <int WARPS_N_, int WARPS_K_, int NT_>
struct Shape {
  static constexpr int WARPS_N = WARPS_N_, WARPS_K = WARPS_K_, NT = NT_;  // NT: n8 tiles per warp
  static constexpr int THREADS = WARPS_N * WARPS_K * 32;
  static constexpr int BLOCK_N = WARPS_N * NT * 8;
};
using SplitK = Shape<1, 8, 2>;  // 16 columns per block, K split 8 ways: linears (K = 4096 .. 28672)
using Wide = Shape<4, 2, 1>;    // 32 columns per block, K split 2 ways: qk decode (K = head_dim)

__device__ __forceinline__ uint4 load_or_zero(const char* base, std::int64_t row, std::int64_t ld, std::int64_t k,
                                              bool valid) {
  return valid ? __ldg(reinterpret_cast<const uint4*>(base + 2 * (row * ld + k))) : make_uint4(0, 0, 0, 0);
}

// B is streamed once: evict-first loads, so it does not push A out of L2.
__device__ __forceinline__ uint4 stream_or_zero(const char* base, std::int64_t row, std::int64_t ld, std::int64_t k,
                                                bool valid) {
  return valid ? __ldcs(reinterpret_cast<const uint4*>(base + 2 * (row * ld + k))) : make_uint4(0, 0, 0, 0);
}

template <class S, int MT, class T>
__global__ void __launch_bounds__(S::THREADS) gemv_mma_kernel(const GemmArgs p) {
#if BENCH_LLAMA_SM80_DEVICE
  BENCH_LLAMA_STATIC_SHARED(float[S::WARPS_N * S::WARPS_K][MT * S::NT * 4][32], partial);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wn = warp / S::WARPS_K, wk = warp % S::WARPS_K;
  const int g = lane >> 2, t = lane & 3;
  const char* a = matrix_base(p.a, blockIdx.y, p.heads);
  const char* b = matrix_base(p.b, blockIdx.y, p.heads);
  const std::int64_t n_base = static_cast<std::int64_t>(blockIdx.x) * S::BLOCK_N + wn * S::NT * 8;

  float acc[MT][S::NT][4] = {};
  const std::int64_t chunks = (p.k + 31) / 32;
  constexpr int kUnroll = 2;  // k32 chunks whose loads are issued before their MMAs
  for (std::int64_t c0 = wk; c0 < chunks; c0 += kUnroll * S::WARPS_K) {
    uint4 bv[kUnroll][S::NT], av[kUnroll][MT][2];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const std::int64_t k = (c0 + u * S::WARPS_K) * 32 + 8 * t;
      const bool k_ok = c0 + u * S::WARPS_K < chunks && k < p.k;
#pragma unroll
      for (int nt = 0; nt < S::NT; ++nt) {
        const std::int64_t n = n_base + nt * 8 + g;
        bv[u][nt] = stream_or_zero(b, n, p.b.ld, k, k_ok && n < p.n);
      }
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const std::int64_t m = mt * 16 + g + half * 8;
          av[u][mt][half] = load_or_zero(a, m, p.a.ld, k, k_ok && m < p.m);
        }
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        // Two k16 steps per chunk: words x, y of each load, then z, w (named, not indexed: no local memory).
        const uint4 lo = av[u][mt][0], hi = av[u][mt][1];
        const std::uint32_t a0[4] = {lo.x, hi.x, lo.y, hi.y};
        const std::uint32_t a1[4] = {lo.z, hi.z, lo.w, hi.w};
#pragma unroll
        for (int nt = 0; nt < S::NT; ++nt) {
          const std::uint32_t b0[2] = {bv[u][nt].x, bv[u][nt].y};
          const std::uint32_t b1[2] = {bv[u][nt].z, bv[u][nt].w};
          mma_16816<T>(acc[mt][nt], a0, b0);
          mma_16816<T>(acc[mt][nt], a1, b1);
        }
      }
    }
  }

  // Reduce the K split: every warp parks its accumulators, the wk == 0 warps add them up and store.
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < S::NT; ++nt) {
#pragma unroll
      for (int i = 0; i < 4; ++i) partial[warp][(mt * S::NT + nt) * 4 + i][lane] = acc[mt][nt][i];
    }
  }
  __syncthreads();
  if (wk != 0) return;
  char* c = const_cast<char*>(matrix_base(p.c, blockIdx.y, p.heads));
  using Pair = typename MmaType<T>::pair;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < S::NT; ++nt) {
      float sum[4] = {};
#pragma unroll
      for (int w = 0; w < S::WARPS_K; ++w) {
#pragma unroll
        for (int i = 0; i < 4; ++i) sum[i] += partial[warp + w][(mt * S::NT + nt) * 4 + i][lane];
      }
      const std::int64_t col = n_base + nt * 8 + 2 * t;
      if (col >= p.n) continue;
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const std::int64_t row = mt * 16 + g + half * 8;
        if (row < p.m) {
          *reinterpret_cast<Pair*>(c + 2 * (row * p.c.ld + col)) = MmaType<T>::pack(sum[2 * half], sum[2 * half + 1]);
        }
      }
    }
  }
#endif
}

template <class S, int MT, class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((p.n + S::BLOCK_N - 1) / S::BLOCK_N), static_cast<unsigned>(p.batch * p.heads));
  return launch_kernel(gemv_mma_kernel<S, MT, T>, {grid, dim3(S::THREADS)}, stream, p);
}

template <class S, class T>
cudaError_t launch_rows(const GemmArgs& p, cudaStream_t stream) {
  switch ((p.m + 15) / 16) {  // MMA row tiles: accumulators only for the rows there are
    case 1:
      return launch_typed<S, 1, T>(p, stream);
    case 2:
      return launch_typed<S, 2, T>(p, stream);
    case 3:
      return launch_typed<S, 3, T>(p, stream);
    case 4:
      return launch_typed<S, 4, T>(p, stream);
  }
  return cudaErrorInvalidValue;
}

template <class S>
cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  return p.element == Element::kF16 ? launch_rows<S, __half>(p, stream) : launch_rows<S, __nv_bfloat16>(p, stream);
}

bool operand_ok(const MatrixArg& m) {
  return m.ld % 8 == 0 && m.batch_stride % 8 == 0 && m.head_stride % 8 == 0 && m.head_group >= 1 &&
         (reinterpret_cast<std::uintptr_t>(m.data) & 15) == 0;
}

const char* supports(const GemmArgs& p, int sm) {
  if (sm < 80) return "needs sm_80 or newer (mma.sync m16n8k16)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (p.m < 1 || p.m > 64) return "M must be 1 to 64 (decode: one token per sequence)";
  if (!p.b_transposed) return "B must be stored [N x K]";
  if (p.n < 1 || p.k < 1 || p.k % 8 != 0 || p.n % 2 != 0) return "K must be a multiple of 8 and N even";
  if (!operand_ok(p.a) || !operand_ok(p.b) || !operand_ok(p.c)) {
    return "leading dimensions and strides must be multiples of 8 elements, bases 16-byte aligned";
  }
  if (p.batch * p.heads > 65535) return "more than 65535 (batch, head) matrices";
  return "";
}

bool suits_long_k(const GemmArgs& p) { return p.m <= 64 && p.k >= 512; }
bool suits_short_k(const GemmArgs& p) { return p.m <= 64 && p.k < 512; }
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

GemmVariant gemv_mma_splitk_variant() {
  return {"gemv_mma_splitk", 80, 0, supports, launch<SplitK>, suits_long_k, no_workspace};
}

GemmVariant gemv_mma_wide_variant() {
  return {"gemv_mma_wide", 80, 0, supports, launch<Wide>, suits_short_k, no_workspace};
}

}  // namespace kernels

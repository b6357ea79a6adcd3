// pv_decode_split: O[1 x d] = P[1 x s] * V[s x d] for every (batch, head); V is the head's slice of the KV cache
// [b, s, kv_heads, d] (rows kv_heads * d apart), P the head's scores.
//
// Bottleneck: DRAM. V is the whole of the traffic and is read once, in 16-byte loads by d/8 consecutive threads per
// row (d = 128: 16 threads read one 256-byte row). At b = 1 there are only as many (batch, head) pairs as heads
// (52 for Llama 33B), too few blocks to keep every SM's loads in flight, so the context is split: `splits` blocks per
// (batch, head) each cover a slice of s and write fp32 partial sums to the workspace, and a second, small launch adds
// the partials and converts. Splits are chosen so the grid has about 4 blocks per SM, and no slice is shorter than 64.
// Limits: M = 1, B stored [K x N] (N contiguous), N (head_dim) a multiple of 8 and at most 256.
#include <algorithm>

#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/pv_decode_split.cuh"
#include "kernels/target.cuh"

namespace kernels {
namespace {

using namespace detail;
constexpr int kThreads = 256;
// A thread's 8 partial sums, stored and read as two 16-byte words: rows of 12 floats (48 bytes apart) put the 8
// threads of each quarter-warp pass on 32 distinct banks, where rows of 8 (32 bytes apart) met two to a bank.
constexpr int kSumRow = 12;

int splits_for(const GemmArgs& p) {
  const std::int64_t pairs = p.batch * p.heads;
  const std::int64_t wanted = (4LL * std::max(p.sm_count, 1) + pairs - 1) / pairs;
  return static_cast<int>(std::clamp<std::int64_t>(wanted, 1, std::max<std::int64_t>(p.k / 64, 1)));
}

// One block per (split, batch-head): each thread owns 8 columns of d and every (kThreads / (d / 8))-th row of its
// slice; the row groups are then added in shared memory.
template <class T>
__global__ void __launch_bounds__(kThreads) pv_partial_kernel(const GemmArgs p, int splits) {
  BENCH_LLAMA_STATIC_SHARED(float[kThreads][kSumRow], sums);
  const int chunks = static_cast<int>(p.n / 8);  // 16-byte chunks per row of V
  const int row_groups = kThreads / chunks;
  const int chunk = threadIdx.x % chunks, group = threadIdx.x / chunks;
  const std::int64_t z = blockIdx.y;
  const char* probs = matrix_base(p.a, z, p.heads);
  const char* v = matrix_base(p.b, z, p.heads);
  const std::int64_t per_split = (p.k + splits - 1) / splits;
  const std::int64_t begin = blockIdx.x * per_split, end = std::min<std::int64_t>(begin + per_split, p.k);

  float acc[8] = {};
  if (group < row_groups) {
    for (std::int64_t s = begin + group; s < end; s += row_groups) {
      const float weight = to_float(reinterpret_cast<const T*>(probs)[s]);
      const uint4 raw = __ldcs(reinterpret_cast<const uint4*>(v + 2 * (s * p.b.ld + chunk * 8)));
      const std::uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        acc[i] += weight * to_float(from_bits<T>(static_cast<unsigned short>(words[i / 2] >> (16 * (i % 2)))));
      }
    }
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) sums[threadIdx.x][i] = acc[i];
  __syncthreads();
  if (group != 0) return;
  float total[8] = {};
  for (int g = 0; g < row_groups; ++g) {
#pragma unroll
    for (int i = 0; i < 8; ++i) total[i] += sums[g * chunks + chunk][i];
  }
  if (splits == 1) {
    char* out = const_cast<char*>(matrix_base(p.c, z, p.heads));
    using Pair = typename MmaType<T>::pair;
#pragma unroll
    for (int i = 0; i < 8; i += 2) {
      reinterpret_cast<Pair*>(out)[(chunk * 8 + i) / 2] = MmaType<T>::pack(total[i], total[i + 1]);
    }
  } else {
    float* partial = static_cast<float*>(p.workspace) + (z * splits + blockIdx.x) * p.n + chunk * 8;
#pragma unroll
    for (int i = 0; i < 8; ++i) partial[i] = total[i];
  }
}

// Adds the splits' partial sums of one (batch, head) and writes O.
template <class T>
__global__ void pv_reduce_kernel(const GemmArgs p, int splits) {
  const std::int64_t z = blockIdx.x;
  const float* partial = static_cast<const float*>(p.workspace) + z * splits * p.n;
  T* out = reinterpret_cast<T*>(const_cast<char*>(matrix_base(p.c, z, p.heads)));
  for (int col = threadIdx.x; col < p.n; col += blockDim.x) {
    float sum = 0;
    for (int s = 0; s < splits; ++s) sum += partial[s * p.n + col];
    out[col] = from_float<T>(sum);
  }
}

template <class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  const int splits = splits_for(p);
  const unsigned pairs = static_cast<unsigned>(p.batch * p.heads);
  const cudaError_t status =
      launch_kernel(pv_partial_kernel<T>, {dim3(splits, pairs), dim3(kThreads)}, stream, p, splits);
  if (status != cudaSuccess || splits == 1) return status;
  return launch_kernel(pv_reduce_kernel<T>, {dim3(pairs), dim3(128)}, stream, p, splits);
}

cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  if (splits_for(p) > 1 && p.workspace == nullptr) return cudaErrorInvalidValue;
  return p.element == Element::kF16 ? launch_typed<__half>(p, stream) : launch_typed<__nv_bfloat16>(p, stream);
}

const char* supports(const GemmArgs& p, int sm) {
  if (sm < 80) return "needs sm_80 or newer";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (p.m != 1) return "M must be 1 (one query token)";
  if (p.b_transposed) return "B must be stored [K x N] (V)";
  if (p.n % 8 != 0 || p.n < 8 || p.n > 256) return "N (head_dim) must be a multiple of 8, at most 256";
  if (p.k < 1) return "empty context";
  if (p.b.ld % 8 != 0 || p.b.batch_stride % 8 != 0 || p.b.head_stride % 8 != 0 ||
      (reinterpret_cast<std::uintptr_t>(p.b.data) & 15) != 0) {
    return "V's rows must start 16-byte aligned";
  }
  if ((p.c.batch_stride % 2) != 0 || (p.c.head_stride % 2) != 0) return "O's rows must be 4-byte aligned";
  if (p.batch * p.heads > 65535) return "more than 65535 (batch, head) matrices";
  return "";
}

bool suits(const GemmArgs& p) { return p.m == 1; }

std::size_t workspace_bytes(const GemmArgs& p) {
  const int splits = splits_for(p);
  return splits > 1 ? static_cast<std::size_t>(p.batch * p.heads * splits * p.n) * sizeof(float) : 0;
}

}  // namespace

GemmVariant pv_decode_split_variant() { return {"pv_decode_split", 80, 0, supports, launch, suits, workspace_bytes}; }

}  // namespace kernels

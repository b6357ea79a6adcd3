// gemm_wgmma: C[M x N] = A[M x K] * B^T with B stored [N x K], per (batch, head); fp16/bf16, fp32 accumulation.
// Hopper (sm_90a) only: built into every binary, and refused by supports() elsewhere or when the build lacks 90a.
//
// Technique: warp specialization. Warpgroup 0 is the producer: one thread issues TMA bulk tensor copies
// (cp.async.bulk.tensor, 128-byte swizzle) of a 128x64 tile of A and a 128x64 tile of B into a STAGES-deep ring of
// shared-memory buffers; each buffer has a "full" mbarrier (the copy engine completes its byte count) and an "empty"
// one (both consumers arrive when their MMAs have read it). Warpgroups 1 and 2 are consumers: each waits for a full
// buffer and issues four wgmma.mma_async m64n128k16 (its 64 rows of A, all 128 columns of B, k16 at a time) reading
// both operands straight from shared memory through matrix descriptors, accumulating in registers. The grid is
// persistent (one block per SM), walking the tiles in groups of 8 tile rows for L2 reuse; while the consumers store a
// finished tile, the producer is already loading the next one's first stages.
// Operands are addressed as 4-D tensors (k, head, row, batch), so one tensor map covers every (batch, head) matrix of
// attention's [b, s, n, d] layouts as well as a plain [M x K] matrix.
// Expected bottleneck: the tensor pipe (a review found it L2-bound on an H100). Not done here (each a measured step):
// thread-block clusters with TMA multicast, a TMA-store epilogue; 128x256 tiles with setmaxnreg and B stored [K x N]
// (wgmma's transposed-B mode) are gemm_wgmma_128x256.cu's variants.
// Limits: B stored [N x K]; K a multiple of 8; leading dimensions and strides multiples of 8 elements (16 bytes, as
// TMA requires); 16-byte aligned bases; strides must grow from k to head to row to batch (as the tensor map needs).
#include "kernels/gemm_wgmma.cuh"
#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/target.cuh"
#include "kernels/tensor_maps.cuh"
#include "kernels/wgmma_pipeline.cuh"

namespace kernels {
namespace {

constexpr int BM = 128, BN = 128, BK = 64, STAGES = 4;
constexpr int kThreads = 384;                              // producer warpgroup + 2 consumer warpgroups
constexpr int A_TILE = BM * BK * 2, B_TILE = BN * BK * 2;  // bytes; 16 KiB each
constexpr int kSmem = STAGES * (A_TILE + B_TILE) + 1024 /* barriers */ + 1024 /* alignment slack */;

using wgmma::TileGrid;

template <class T>
__global__ void __launch_bounds__(kThreads, 1)
    gemm_wgmma_kernel(const GemmArgs p, const __grid_constant__ CUtensorMap map_a,
                      const __grid_constant__ CUtensorMap map_b, const TileGrid grid) {
#if BENCH_LLAMA_SM90A_DEVICE
  using namespace wgmma;
  BENCH_LLAMA_DYNAMIC_SHARED(smem_raw, 16);
  // 128-byte swizzled tiles must start on 1024-byte boundaries.
  const std::uint32_t base = (detail::smem_address(smem_raw) + 1023) & ~1023u;
  const std::uint32_t tiles_a = base, tiles_b = base + STAGES * A_TILE;
  const std::uint32_t full = tiles_b + STAGES * B_TILE, empty = full + STAGES * 8;
  const int warpgroup = threadIdx.x / 128, lane_in_group = threadIdx.x % 128;

  if (threadIdx.x == 0) {
    for (int s = 0; s < STAGES; ++s) {
      mbar_init(full + 8 * s, 1);   // the producer's expect_tx arrival; the bytes complete it
      mbar_init(empty + 8 * s, 2);  // one arrival per consumer warpgroup
    }
    fence_mbarrier_init();
    fence_proxy_async();
  }
  __syncthreads();

  const int heads = static_cast<int>(p.heads);
  const int k_tiles = static_cast<int>((p.k + BK - 1) / BK);

  if (warpgroup == 0) {
    // Producer: one thread keeps the ring full.
    if (lane_in_group == 0) {
      int stage = 0, phase = 0;
      for (std::int64_t tile = blockIdx.x; tile < grid.tiles(); tile += gridDim.x) {
        int m0, n0, pair;
        tile_coords<BM, BN>(grid, tile, m0, n0, pair);
        const int batch = pair / heads, head = pair % heads;
        for (int kt = 0; kt < k_tiles; ++kt) {
          mbar_wait(empty + 8 * stage, phase ^ 1);  // a fresh barrier counts as emptied once
          mbar_expect_tx(full + 8 * stage, A_TILE + B_TILE);
          tma_load(tiles_a + stage * A_TILE, &map_a, kt * BK, head / static_cast<int>(p.a.head_group), m0, batch,
                   full + 8 * stage);
          tma_load(tiles_b + stage * B_TILE, &map_b, kt * BK, head / static_cast<int>(p.b.head_group), n0, batch,
                   full + 8 * stage);
          if (++stage == STAGES) {
            stage = 0;
            phase ^= 1;
          }
        }
      }
    }
    return;
  }

  // Consumers: warpgroup 1 takes rows 0-63 of the tile, warpgroup 2 rows 64-127.
  const int consumer = warpgroup - 1;
  int stage = 0, phase = 0;
  for (std::int64_t tile = blockIdx.x; tile < grid.tiles(); tile += gridDim.x) {
    int m0, n0, pair;
    tile_coords<BM, BN>(grid, tile, m0, n0, pair);
    float acc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) acc[i] = 0.0f;
    int previous = -1;  // the stage whose MMAs may still be reading it
    for (int kt = 0; kt < k_tiles; ++kt) {
      mbar_wait(full + 8 * stage, phase);
      wgmma_fence();
      const std::uint32_t a = tiles_a + stage * A_TILE + consumer * 64 * 128;  // 64 rows of 128 bytes
      const std::uint32_t b = tiles_b + stage * B_TILE;
#pragma unroll
      for (int ks = 0; ks < BK / 16; ++ks) {  // k16 steps: 32 bytes further along the swizzled rows
        wgmma_async<BN, 0, T>(acc, descriptor_k_major(a + 32 * ks), descriptor_k_major(b + 32 * ks));
      }
      // Keep this k-tile's MMAs in flight while the next one is waited for.
      retire_previous_stage<STAGES>(empty, lane_in_group, previous, stage, phase);
    }
    retire_last_stage(empty, lane_in_group, previous);
    store_accumulators<BN, T>(p, acc, pair, heads, m0 + consumer * 64, n0, lane_in_group);
  }
#else
  BENCH_LLAMA_BODY_NOT_BUILT("gemm_wgmma_kernel (wgmma, TMA, mbarrier)");
#endif
}

// The maps of the last problem, kept per host thread (tensor_maps.cuh); boxes of 64 k by 128 rows.
bool tensor_maps(const GemmArgs& p, CUtensorMap* map_a, CUtensorMap* map_b) {
  return wgmma::cached_tensor_maps(p, map_a, map_b, [](const GemmArgs& q, CUtensorMap* a, CUtensorMap* b) {
    return wgmma::encode(a, q.a, q.m, q.k, q.heads, q.batch, q.element, BK, 128) &&
           wgmma::encode(b, q.b, q.n, q.k, q.heads, q.batch, q.element, BK, 128);
  });
}

template <class T>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  CUtensorMap map_a{}, map_b{};
  if (!tensor_maps(p, &map_a, &map_b)) return cudaErrorInvalidValue;
  const auto kernel = gemm_wgmma_kernel<T>;
  const TileGrid grid{static_cast<int>((p.m + BM - 1) / BM), static_cast<int>((p.n + BN - 1) / BN), p.batch * p.heads};
  const std::int64_t blocks = std::min<std::int64_t>(grid.tiles(), std::max(p.sm_count, 1));
  return launch_kernel(kernel, {dim3(static_cast<unsigned>(blocks)), dim3(kThreads), kSmem}, stream, p, map_a, map_b,
                       grid);
}

cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  return p.element == Element::kF16 ? launch_typed<__half>(p, stream) : launch_typed<__nv_bfloat16>(p, stream);
}

const char* supports(const GemmArgs& p, int sm) {
#ifndef BENCH_LLAMA_HAS_SM90A
  (void)p;
  (void)sm;
  return "this build has no sm_90a code (add 90a to CMAKE_CUDA_ARCHITECTURES)";
#else
  if (sm != 90) return "needs a Hopper GPU (sm_90a: wgmma, TMA)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (!p.b_transposed) return "B must be stored [N x K] (B stored [K x N] stays on gemm_mma for now)";
  if (p.m < 1 || p.n < 1 || p.k < 1 || p.k % 8 != 0 || p.n % 2 != 0) return "K must be a multiple of 8, N even";
  for (const MatrixArg* m : {&p.a, &p.b, &p.c}) {
    if (m->ld % 8 != 0 || m->batch_stride % 8 != 0 || m->head_stride % 8 != 0 ||
        (reinterpret_cast<std::uintptr_t>(m->data) & 15) != 0) {
      return "leading dimensions and strides must be multiples of 8 elements, bases 16-byte aligned";
    }
  }
  if (!wgmma::strides_grow(p.a, p.m, p.heads, p.batch, false) ||
      !wgmma::strides_grow(p.b, p.n, p.heads, p.batch, false)) {
    return "operand strides must grow from k to head to row to batch (a TMA tensor map's layout)";
  }
  if (!wgmma::encode_function()) return "the driver has no cuTensorMapEncodeTiled";
  if (p.m > (1LL << 31) || p.n > (1LL << 31)) return "M and N must fit in 32 bits";
  return "";
#endif
}

// Worth it where the tiles fill the GPU: the same threshold as gemm_mma's big tile.
bool suits(const GemmArgs& p) {
  return ((p.m + BM - 1) / BM) * ((p.n + BN - 1) / BN) * p.batch * p.heads >= p.sm_count;
}
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

GemmVariant gemm_wgmma_128x128_variant() {
  return {"gemm_wgmma_128x128", 90, 90, supports, launch, suits, no_workspace};
}

}  // namespace kernels

// gemm_wgmma_wide: C[M x N] = A[M x K] * op(B) per (batch, head); fp16/bf16, fp32 accumulation. Hopper (sm_90a) only,
// beside gemm_wgmma (issue 13): built into every binary, refused by supports() elsewhere or when the build lacks 90a.
//
// Two variants of one kernel body:
// - gemm_wgmma_128x256: B stored [N x K] (linears, qk). 128x256 tiles: twice gemm_wgmma's columns per tile, so each
//   A tile loaded from L2 feeds twice the MMAs and the operand bytes per MMA drop by a quarter ((128 + 256) /
//   (128 * 256) against 2 / 128); gemm_wgmma was found L2-bound on an H100 (~550-650 TFLOP/s, cuBLAS ~790). Each
//   consumer warpgroup issues m64n256k16 (its 64 rows, all 256 columns: 128 fp32 accumulators a thread), close to
//   what 384 threads get evenly (168): setmaxnreg gives the producer warpgroup 40 and the consumers 232
//   (128 * 40 + 256 * 232 = 64,512 of the 65,536). ptxas 13.0 fits the consumers in 152 today, so this is headroom
//   (for a register-staged epilogue) more than a cure for spills. 4 stages of 48 KiB (A 16 + B 32).
// - gemm_wgmma_128x128_kn: B stored [K x N] (pv at prefill: V read as [s x d]), through wgmma's transposed-B mode
//   with an N-major shared-memory descriptor; 128x128 tiles since pv's N is head_dim (128 for Llama), 6 stages of
//   32 KiB. The scores [b, n, s, s] that pv reads as A have their rows inside a head: the tensor map orders that
//   operand's dimensions (k, row, head, batch) instead of (k, head, row, batch).
// Technique (as gemm_wgmma): warp specialization, a producer warpgroup whose one thread issues TMA bulk tensor copies
// (128-byte swizzle) into a STAGES-deep ring with full/empty mbarriers; two consumer warpgroups of wgmma reading both
// operands from shared memory; a persistent grid walking the tiles in groups of 8 tile rows; the producer runs ahead
// into the next tile's stages while the consumers store the last one.
// Expected bottleneck: the tensor pipe on large linears; the epilogue on qk (K = head_dim is only 2 k-tiles, and the
// consumers' stores do not overlap their own MMAs).
// Not done yet: thread-block clusters with TMA multicast of the shared operand, a TMA-store (or stmatrix-staged)
// epilogue instead of 4-byte register stores, ping-pong consumers so one warpgroup's epilogue hides under the
// other's MMAs.
// Limits: K a multiple of 8 and N even; leading dimensions and strides multiples of 8 elements (16 bytes, as TMA
// requires); 16-byte aligned bases; each operand's strides must grow in its tensor map's order.
#include "kernels/gemm_wgmma_wide.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/wgmma_common.cuh"

namespace kernels {
namespace {

// Tile shape and ring depth of a variant; B_KN: B stored [K x N].
template <int BN_, bool B_KN_>
struct Shape {
  static constexpr int BM = 128, BN = BN_, BK = 64;
  static constexpr bool B_KN = B_KN_;
  static constexpr int A_TILE = BM * BK * 2, B_TILE = BN * BK * 2;  // bytes
  static constexpr int STAGES = 192 * 1024 / (A_TILE + B_TILE);     // 4 at 128x256, 6 at 128x128
  static constexpr int SMEM = STAGES * (A_TILE + B_TILE) + 1024 /* barriers */ + 1024 /* alignment slack */;
  static_assert(SMEM <= 227 * 1024, "one block per SM, within Hopper's 227 KiB");
  static_assert(2 * STAGES * 8 <= 1024, "the barriers fit their kilobyte");
};
using Wide = Shape<256, false>;
using Kn = Shape<128, true>;

constexpr int kThreads = 384;  // producer warpgroup + 2 consumer warpgroups
// setmaxnreg counts: multiples of 8, 128 * 40 + 256 * 232 = 64,512 <= 65,536 registers of an SM for the one block.
constexpr int kProducerRegisters = 40, kConsumerRegisters = 232;
static_assert(128 * kProducerRegisters + 256 * kConsumerRegisters <= 65536, "register file");

// What the kernel needs beyond the tensor maps.
struct Launch {
  GemmArgs p;
  wgmma::TileGrid grid;
  int tiles;                            // grid.tiles(), below 2^30 (supports()): tile + gridDim.x stays an int
  bool a_rows_in_head, b_rows_in_head;  // each operand's tensor-map order (wgmma::rows_in_head)
};

template <class T, class S>
__global__ void __launch_bounds__(kThreads, 1)
    gemm_wgmma_wide_kernel(const Launch l, const __grid_constant__ CUtensorMap map_a,
                           const __grid_constant__ CUtensorMap map_b) {
#ifdef BENCH_LLAMA_SM90A_DEVICE
  using namespace wgmma;
  constexpr int BM = S::BM, BN = S::BN, BK = S::BK, STAGES = S::STAGES, A_TILE = S::A_TILE, B_TILE = S::B_TILE;
  const GemmArgs& p = l.p;
  extern __shared__ unsigned char smem_raw[];
  // 128-byte swizzled tiles must start on 1024-byte boundaries (every tile size here is a multiple of 1024).
  const std::uint32_t base = (detail::smem_address(smem_raw) + 1023) & ~1023u;
  const std::uint32_t tiles_a = base, tiles_b = base + STAGES * A_TILE;
  const std::uint32_t full = tiles_b + STAGES * B_TILE, empty = full + STAGES * 8;
  const int warpgroup = threadIdx.x / 128, lane_in_group = threadIdx.x % 128;

  if (threadIdx.x == 0) {
    for (int s = 0; s < STAGES; ++s) {
      mbar_init(full + 8 * s, 1);   // the producer's expect_tx arrival; the bytes complete it
      mbar_init(empty + 8 * s, 2);  // one arrival per consumer warpgroup
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::);
    asm volatile("fence.proxy.async.shared::cta;\n" ::);
  }
  __syncthreads();  // the last block-wide barrier: after it the warpgroups never wait for each other but on mbarriers

  const int heads = static_cast<int>(p.heads);
  const int k_tiles = static_cast<int>((p.k + BK - 1) / BK);

  if (warpgroup == 0) {
    // Producer: gives registers back (every warp of the warpgroup must execute it), then one thread keeps the ring
    // full. Its stage/phase sequence is the consumers' exactly: the same tiles, the same k_tiles each.
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kProducerRegisters));
    if (lane_in_group == 0) {
      int stage = 0, phase = 0;
      for (int tile = blockIdx.x; tile < l.tiles; tile += gridDim.x) {
        int m0, n0, pair;
        tile_coords<BM, BN>(l.grid, tile, m0, n0, pair);
        const int batch = pair / heads, head = pair % heads;
        const int head_a = head / static_cast<int>(p.a.head_group), head_b = head / static_cast<int>(p.b.head_group);
        for (int kt = 0; kt < k_tiles; ++kt) {
          // Parity phase ^ 1: a fresh barrier counts as having completed the phase before its first, so the first
          // STAGES waits pass at once; after that the wait is for both consumers' release of the stage's last use.
          mbar_wait(empty + 8 * stage, phase ^ 1);
          // One arrival plus the bytes of every box, which the copy engine counts in full even where a box hangs
          // over the tensor's edge (the part outside is zero-filled).
          mbar_expect_tx(full + 8 * stage, A_TILE + B_TILE);
          const std::uint32_t bar = full + 8 * stage;
          // A box at (col, row) of an operand's (batch, head) matrix, in its tensor map's dimension order.
          auto load = [&](std::uint32_t dst, const CUtensorMap* map, bool rows_in_head, int col, int row, int head) {
            tma_load(dst, map, col, rows_in_head ? row : head, rows_in_head ? head : row, batch, bar);
          };
          load(tiles_a + stage * A_TILE, &map_a, l.a_rows_in_head, kt * BK, m0, head_a);
          if constexpr (!S::B_KN) {  // B [N x K]: one box of BN rows of 64 k (box rows go up to 256)
            load(tiles_b + stage * B_TILE, &map_b, l.b_rows_in_head, kt * BK, n0, head_b);
          } else {  // B [K x N]: BN / 64 boxes of 64 k-rows of 64 n each (a 128-byte swizzle row is 64 elements)
#pragma unroll
            for (int j = 0; j < BN / 64; ++j) {
              load(tiles_b + stage * B_TILE + j * (BK * 128), &map_b, l.b_rows_in_head, n0 + 64 * j, kt * BK, head_b);
            }
          }
          if (++stage == STAGES) {
            stage = 0;
            phase ^= 1;
          }
        }
      }
    }
  } else {
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kConsumerRegisters));
    // Consumers: warpgroup 1 takes rows 0-63 of the tile, warpgroup 2 rows 64-127.
    const int consumer = warpgroup - 1;
    int stage = 0, phase = 0;
    for (int tile = blockIdx.x; tile < l.tiles; tile += gridDim.x) {
      int m0, n0, pair;
      tile_coords<BM, BN>(l.grid, tile, m0, n0, pair);
      float acc[BN / 2];
#pragma unroll
      for (int i = 0; i < BN / 2; ++i) acc[i] = 0.0f;
      int previous = -1;  // the stage whose MMAs may still be reading it
      for (int kt = 0; kt < k_tiles; ++kt) {
        mbar_wait(full + 8 * stage, phase);
        // Orders the accumulators' last ordinary writes (the zeroing above, at a tile's first k-tile) before the
        // asynchronous MMAs that read them.
        asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
        const std::uint32_t a = tiles_a + stage * A_TILE + consumer * 64 * 128;  // 64 rows of 128 bytes
        const std::uint32_t b = tiles_b + stage * B_TILE;
#pragma unroll
        for (int ks = 0; ks < BK / 16; ++ks) {
          // A: k16 is 32 bytes further along the swizzled 128-byte rows (the hardware applies the swizzle to the
          // address it forms, so a start address inside the 1024-byte atom is how k advances).
          if constexpr (!S::B_KN) {
            wgmma_async<BN, 0, T>(acc, descriptor_k_major(a + 32 * ks), descriptor_k_major(b + 32 * ks));
          } else {
            // B N-major: k16 is two 8-row groups of 1024 bytes further; the 64-column blocks are BK * 128 bytes apart.
            wgmma_async<BN, 1, T>(acc, descriptor_k_major(a + 32 * ks), descriptor_mn_major(b + 2048 * ks, BK * 128));
          }
        }
        // Keep this k-tile's MMAs in flight while the next one is waited for.
        retire_previous_stage<STAGES>(empty, lane_in_group, previous, stage, phase);
      }
      retire_last_stage(empty, lane_in_group, previous);
      // The producer is meanwhile loading the next tile's first stages.
      store_accumulators<BN, T>(p, acc, pair, heads, m0 + consumer * 64, n0, lane_in_group);
    }
  }
#endif
}

// The maps of the last problem, kept per host thread and per variant (wgmma_common.cuh). A: boxes of 64 k by 128
// rows; B [N x K]: 64 k by BN rows; B [K x N]: 64 n by 64 k-rows.
template <class S>
bool tensor_maps(const GemmArgs& p, CUtensorMap* map_a, CUtensorMap* map_b) {
  return wgmma::cached_tensor_maps(p, map_a, map_b, [](const GemmArgs& q, CUtensorMap* a, CUtensorMap* b) {
    if (!wgmma::encode(a, q.a, q.m, q.k, q.heads, q.batch, q.element, S::BK, S::BM)) return false;
    return S::B_KN ? wgmma::encode(b, q.b, q.k, q.n, q.heads, q.batch, q.element, 64, S::BK)
                   : wgmma::encode(b, q.b, q.n, q.k, q.heads, q.batch, q.element, S::BK, S::BN);
  });
}

template <class T, class S>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  CUtensorMap map_a{}, map_b{};
  if (!tensor_maps<S>(p, &map_a, &map_b)) return cudaErrorInvalidValue;
  const auto kernel = gemm_wgmma_wide_kernel<T, S>;
  static const cudaError_t opt_in = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, S::SMEM);
  if (opt_in != cudaSuccess) return opt_in;
  const wgmma::TileGrid grid{static_cast<int>((p.m + S::BM - 1) / S::BM), static_cast<int>((p.n + S::BN - 1) / S::BN),
                             p.batch * p.heads};
  const Launch l{p, grid, static_cast<int>(grid.tiles()), wgmma::rows_in_head(p.a, p.heads),
                 wgmma::rows_in_head(p.b, p.heads)};
  const std::int64_t blocks = std::min<std::int64_t>(grid.tiles(), std::max(p.sm_count, 1));
  kernel<<<static_cast<unsigned>(blocks), kThreads, S::SMEM, stream>>>(l, map_a, map_b);
  return cudaGetLastError();
}

template <class S>
cudaError_t launch(const GemmArgs& p, cudaStream_t stream) {
  return p.element == Element::kF16 ? launch_typed<__half, S>(p, stream) : launch_typed<__nv_bfloat16, S>(p, stream);
}

template <class S>
const char* supports(const GemmArgs& p, int sm) {
#ifndef BENCH_LLAMA_HAS_SM90A
  (void)p;
  (void)sm;
  return "this build has no sm_90a code (add 90a to CMAKE_CUDA_ARCHITECTURES)";
#else
  if (sm != 90) return "needs a Hopper GPU (sm_90a: wgmma, TMA, setmaxnreg)";
  if (p.element != Element::kF16 && p.element != Element::kBF16) return "fp16 or bf16 only";
  if (S::B_KN && p.b_transposed) return "B must be stored [K x N] (gemm_wgmma_128x256 takes B stored [N x K])";
  if (!S::B_KN && !p.b_transposed) return "B must be stored [N x K] (gemm_wgmma_128x128_kn takes B stored [K x N])";
  if (p.m < 1 || p.n < 1 || p.k < 1 || p.k % 8 != 0 || p.n % 2 != 0) return "K must be a multiple of 8, N even";
  for (const MatrixArg* m : {&p.a, &p.b, &p.c}) {
    if (m->ld % 8 != 0 || m->batch_stride % 8 != 0 || m->head_stride % 8 != 0 ||
        (reinterpret_cast<std::uintptr_t>(m->data) & 15) != 0) {
      return "leading dimensions and strides must be multiples of 8 elements, bases 16-byte aligned";
    }
  }
  const std::int64_t b_rows = S::B_KN ? p.k : p.n;
  if (!wgmma::strides_grow(p.a, p.m, p.heads, p.batch, true) ||
      !wgmma::strides_grow(p.b, b_rows, p.heads, p.batch, true)) {
    return "operand strides must grow from k to head (or row) to row (or head) to batch (a TMA tensor map's layout)";
  }
  if (p.m > (1LL << 31) || p.n > (1LL << 31)) return "M and N must fit in 32 bits";
  const std::int64_t tiles = ((p.m + S::BM - 1) / S::BM) * ((p.n + S::BN - 1) / S::BN) * p.batch * p.heads;
  if (tiles >= (1LL << 30)) return "too many tiles for 32-bit tile numbers";
  if (!wgmma::encode_function()) return "the driver has no cuTensorMapEncodeTiled";
  return "";
#endif
}

// Worth it where the tiles fill the GPU and M is a prefill's (the decode kernels take M <= 64); the 256-wide tile
// only where N fills it (else half its MMAs would multiply zeros: gemm_wgmma_128x128 is the better fit).
bool suits_wide(const GemmArgs& p) {
  return p.m > 64 && p.n >= Wide::BN &&
         ((p.m + Wide::BM - 1) / Wide::BM) * ((p.n + Wide::BN - 1) / Wide::BN) * p.batch * p.heads >= p.sm_count;
}
bool suits_kn(const GemmArgs& p) {
  return p.m > 64 && ((p.m + Kn::BM - 1) / Kn::BM) * ((p.n + Kn::BN - 1) / Kn::BN) * p.batch * p.heads >= p.sm_count;
}
std::size_t no_workspace(const GemmArgs&) { return 0; }

}  // namespace

GemmVariant gemm_wgmma_128x256_variant() {
  return {"gemm_wgmma_128x256", 90, 90, supports<Wide>, launch<Wide>, suits_wide, no_workspace};
}
GemmVariant gemm_wgmma_128x128_kn_variant() {
  return {"gemm_wgmma_128x128_kn", 90, 90, supports<Kn>, launch<Kn>, suits_kn, no_workspace};
}

}  // namespace kernels

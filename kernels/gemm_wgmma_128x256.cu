// gemm_wgmma_128x256: C[M x N] = A[M x K] * op(B) per (batch, head); fp16/bf16, fp32 accumulation. Hopper (sm_90a)
// only, gemm_wgmma's successor: built into every binary, refused by supports() elsewhere or when the build lacks 90a.
//
// Four variants of one kernel body:
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
// - gemm_wgmma_128x256_c2: the 128x256 body in 2x1 thread-block clusters. The two blocks of a cluster take tiles
//   stacked along M with the same columns, so they need the same B tile: each loads half of it (128 rows of 64 k) and
//   multicasts it into both blocks' shared memory, halving B's L2 reads (the operand bytes per MMA drop by another
//   third: A 16 KiB + B 16 KiB per block and k-tile instead of 16 + 32). A stage is then written by both producers,
//   so each consumer warpgroup gives it back to both (an arrival on the peer's barrier through mapa), and the empty
//   barriers count four arrivals. The grid is as many clusters as can be resident (cudaOccupancyMaxActiveClusters).
// - gemm_wgmma_128x256_c2_tma_store: the same with a TMA-store epilogue: each consumer warpgroup writes its 64 x 256
//   accumulators as four 64 x 64 boxes through two 8 KiB staging buffers in shared memory; one thread stores a box
//   by TMA while the warpgroup fills the other, so the consumers hand C to the copy engine instead of issuing 64
//   4-byte global stores each.
// The mbarrier waits trap after 30 s (wgmma::mbar_wait's watchdog): a deadlocked pipeline fails its launch instead of
// hanging the GPU tests for their whole time limit.
// Technique (as gemm_wgmma): warp specialization, a producer warpgroup whose one thread issues TMA bulk tensor copies
// (128-byte swizzle) into a STAGES-deep ring with full/empty mbarriers; two consumer warpgroups of wgmma reading both
// operands from shared memory; a persistent grid walking the tiles in groups of 8 tile rows; the producer runs ahead
// into the next tile's stages while the consumers store the last one.
// Expected bottleneck: the tensor pipe on large linears; the epilogue on qk (K = head_dim is only 2 k-tiles, and the
// consumers' stores do not overlap their own MMAs).
// Not done yet: multicast of A as well (2x2 clusters), stmatrix for the staging stores, ping-pong consumers so one
// warpgroup's epilogue hides under the other's MMAs.
// Limits: K a multiple of 8 and N even; leading dimensions and strides multiples of 8 elements (16 bytes, as TMA
// requires); 16-byte aligned bases; each operand's strides must grow in its tensor map's order.
#include "kernels/gemm_wgmma_128x256.cuh"
#include "kernels/launch.cuh"
#include "kernels/mma_common.cuh"
#include "kernels/target.cuh"
#include "kernels/tensor_maps.cuh"
#include "kernels/wgmma_pipeline.cuh"

namespace kernels {
namespace {

// Tile shape and ring depth of a variant; B_KN: B stored [K x N]; CLUSTER: blocks of a cluster stacked along M, each
// loading 1 / CLUSTER of the shared B tile and multicasting it to all; TMA_STORE: the TMA-store epilogue, with two
// 8 KiB staging buffers per consumer warpgroup.
template <int BN_, bool B_KN_, int CLUSTER_ = 1, bool TMA_STORE_ = false>
struct Shape {
  static constexpr int BM = 128, BN = BN_, BK = 64;
  static constexpr bool B_KN = B_KN_, TMA_STORE = TMA_STORE_;
  static constexpr int CLUSTER = CLUSTER_;
  static constexpr int A_TILE = BM * BK * 2, B_TILE = BN * BK * 2;             // bytes
  static constexpr int B_PART = B_TILE / CLUSTER, B_PART_ROWS = BN / CLUSTER;  // what each block of a cluster loads
  static constexpr int STAGES = 192 * 1024 / (A_TILE + B_TILE);                // 4 at 128x256, 6 at 128x128
  static constexpr int STAGING = TMA_STORE ? 2 * 2 * 64 * 128 : 0;             // 2 consumers x 2 boxes of 64 x 64
  static constexpr int SMEM = STAGES * (A_TILE + B_TILE) + STAGING + 1024 /* barriers */ + 1024 /* alignment */;
  static_assert(SMEM <= 227 * 1024, "one block per SM, within Hopper's 227 KiB");
  static_assert(2 * STAGES * 8 <= 1024, "the barriers fit their kilobyte");
  static_assert(CLUSTER == 1 || (!B_KN && CLUSTER == 2), "clusters of 2 share B stored [N x K]");
  static_assert(B_PART % 1024 == 0, "each block's part of B starts a 128-byte swizzle atom");
};
using Wide = Shape<256, false>;
using Kn = Shape<128, true>;
using WideCluster = Shape<256, false, 2>;
using WideClusterTmaStore = Shape<256, false, 2, true>;

constexpr int kThreads = 384;  // producer warpgroup + 2 consumer warpgroups
// setmaxnreg counts: multiples of 8, 128 * 40 + 256 * 232 = 64,512 <= 65,536 registers of an SM for the one block.
constexpr int kProducerRegisters = 40, kConsumerRegisters = 232;
static_assert(128 * kProducerRegisters + 256 * kConsumerRegisters <= 65536, "register file");

// What the kernel needs beyond the tensor maps.
struct Launch {
  GemmArgs p;
  wgmma::TileGrid grid;  // in cluster tiles (CLUSTER tiles stacked along M; plain tiles for CLUSTER 1)
  int tiles;             // grid.tiles(), below 2^30 (supports()): tile + gridDim.x stays an int
  bool a_rows_in_head, b_rows_in_head, c_rows_in_head;  // each operand's tensor-map order (wgmma::rows_in_head)
};

template <class T, class S>
__global__ void __launch_bounds__(kThreads, 1)
    gemm_wgmma_128x256_kernel(const Launch l, const __grid_constant__ CUtensorMap map_a,
                              const __grid_constant__ CUtensorMap map_b, const __grid_constant__ CUtensorMap map_c) {
#if BENCH_LLAMA_SM90A_DEVICE
  using namespace wgmma;
  constexpr int BM = S::BM, BN = S::BN, BK = S::BK, STAGES = S::STAGES, A_TILE = S::A_TILE, B_TILE = S::B_TILE;
  constexpr int CLUSTER = S::CLUSTER;
  const GemmArgs& p = l.p;
  BENCH_LLAMA_DYNAMIC_SHARED(smem_raw, 16);
  // 128-byte swizzled tiles must start on 1024-byte boundaries (every tile size here is a multiple of 1024). Every
  // block of a cluster has the same layout: a multicast writes the same offsets in each.
  const std::uint32_t base = (detail::smem_address(smem_raw) + 1023) & ~1023u;
  const std::uint32_t tiles_a = base, tiles_b = base + STAGES * A_TILE, staging = tiles_b + STAGES * B_TILE;
  const std::uint32_t full = staging + S::STAGING, empty = full + STAGES * 8;
  const int warpgroup = threadIdx.x / 128, lane_in_group = threadIdx.x % 128;
  const int rank = CLUSTER > 1 ? cluster_rank() : 0;

  if (threadIdx.x == 0) {
    for (int s = 0; s < STAGES; ++s) {
      mbar_init(full + 8 * s, 1);  // the producer's expect_tx arrival; the bytes complete it
      // One arrival per consumer warpgroup of every block of the cluster: the stage is written by all their producers.
      mbar_init(empty + 8 * s, 2 * CLUSTER);
    }
    fence_mbarrier_init();
    fence_proxy_async();
  }
  // The last block-wide barrier: after it the warpgroups never wait for each other but on mbarriers. In a cluster it
  // spans the cluster, so no block multicasts into a peer's stage or arrives on its barriers before they exist.
  if constexpr (CLUSTER > 1) {
    cluster_sync();
  } else {
    __syncthreads();
  }

  const int heads = static_cast<int>(p.heads);
  const int k_tiles = static_cast<int>((p.k + BK - 1) / BK);
  // Every block of a cluster walks the same cluster tiles, so their producers and consumers meet stage by stage.
  const int first_tile = static_cast<int>(blockIdx.x) / CLUSTER, tile_step = static_cast<int>(gridDim.x) / CLUSTER;

  if (warpgroup == 0) {
    // Producer: gives registers back (every warp of the warpgroup must execute it), then one thread keeps the ring
    // full. Its stage/phase sequence is the consumers' exactly: the same tiles, the same k_tiles each.
    setmaxnreg_dec<kProducerRegisters>();
    if (lane_in_group == 0) {
      int stage = 0, phase = 0;
      for (int tile = first_tile; tile < l.tiles; tile += tile_step) {
        int m0, n0, pair;
        cluster_tile_coords<BM, BN, CLUSTER>(l.grid, tile, rank, m0, n0, pair);
        const int batch = pair / heads, head = pair % heads;
        const int head_a = head / static_cast<int>(p.a.head_group), head_b = head / static_cast<int>(p.b.head_group);
        for (int kt = 0; kt < k_tiles; ++kt) {
          // Parity phase ^ 1: a fresh barrier counts as having completed the phase before its first, so the first
          // STAGES waits pass at once; after that the wait is for every consumer's release of the stage's last use.
          mbar_wait(empty + 8 * stage, phase ^ 1);
          // One arrival plus the bytes of every box landing in this block (its A, all of B: in a cluster the other
          // parts come from the peers' multicasts, which may complete before this arrival), which the copy engine
          // counts in full even where a box hangs over the tensor's edge (the part outside is zero-filled).
          mbar_expect_tx(full + 8 * stage, A_TILE + B_TILE);
          const std::uint32_t bar = full + 8 * stage;
          // A box at (col, row) of an operand's (batch, head) matrix, in its tensor map's dimension order.
          auto load = [&](std::uint32_t dst, const CUtensorMap* map, bool rows_in_head, int col, int row, int head) {
            tma_load(dst, map, col, rows_in_head ? row : head, rows_in_head ? head : row, batch, bar);
          };
          load(tiles_a + stage * A_TILE, &map_a, l.a_rows_in_head, kt * BK, m0, head_a);
          if constexpr (CLUSTER > 1) {  // B [N x K]: this block's B_PART_ROWS rows, into every block of the cluster
            const int row = n0 + rank * S::B_PART_ROWS;
            tma_load_multicast(tiles_b + stage * B_TILE + rank * S::B_PART, &map_b, kt * BK,
                               l.b_rows_in_head ? row : head_b, l.b_rows_in_head ? head_b : row, batch, bar,
                               (1u << CLUSTER) - 1);
          } else if constexpr (!S::B_KN) {  // B [N x K]: one box of BN rows of 64 k (box rows go up to 256)
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
    setmaxnreg_inc<kConsumerRegisters>();
    // Consumers: warpgroup 1 takes rows 0-63 of the tile, warpgroup 2 rows 64-127.
    const int consumer = warpgroup - 1;
    int stage = 0, phase = 0;
    for (int tile = first_tile; tile < l.tiles; tile += tile_step) {
      int m0, n0, pair;
      cluster_tile_coords<BM, BN, CLUSTER>(l.grid, tile, rank, m0, n0, pair);
      float acc[BN / 2];
#pragma unroll
      for (int i = 0; i < BN / 2; ++i) acc[i] = 0.0f;
      int previous = -1;  // the stage whose MMAs may still be reading it
      for (int kt = 0; kt < k_tiles; ++kt) {
        mbar_wait(full + 8 * stage, phase);
        // Orders the accumulators' last ordinary writes (the zeroing above, at a tile's first k-tile) before the
        // asynchronous MMAs that read them.
        wgmma_fence();
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
        retire_previous_stage<STAGES, CLUSTER>(empty, lane_in_group, previous, stage, phase);
      }
      retire_last_stage<CLUSTER>(empty, lane_in_group, previous);
      // The producer is meanwhile loading the next tile's first stages.
      if constexpr (S::TMA_STORE) {
        const int batch = pair / heads, head_c = (pair % heads) / static_cast<int>(p.c.head_group);
        store_accumulators_tma<BN, T>(&map_c, l.c_rows_in_head, acc, n0, m0 + consumer * 64, head_c, batch,
                                      staging + consumer * 2 * (64 * 128), consumer, lane_in_group);
      } else {
        store_accumulators<BN, T>(p, acc, pair, heads, m0 + consumer * 64, n0, lane_in_group);
      }
    }
    if constexpr (S::TMA_STORE) {
      if (lane_in_group == 0) store_wait_all();  // the staging buffers stay in use until the last store has read them
    }
  }
  // No block of a cluster leaves while a peer may still arrive on its barriers.
  if constexpr (CLUSTER > 1) cluster_sync();
#else
  BENCH_LLAMA_BODY_NOT_BUILT("gemm_wgmma_128x256_kernel (wgmma, TMA, mbarrier, clusters)");
#endif
}

// The maps of the last problem, kept per host thread and per variant (tensor_maps.cuh). A: boxes of 64 k by 128
// rows; B [N x K]: 64 k by the B rows one block loads (BN, or BN / CLUSTER); B [K x N]: 64 n by 64 k-rows; C (the
// TMA-store epilogue): 64 columns by 64 rows.
template <class S>
bool tensor_maps(const GemmArgs& p, CUtensorMap* map_a, CUtensorMap* map_b, CUtensorMap* map_c) {
  const bool ab = wgmma::cached_tensor_maps(p, map_a, map_b, [](const GemmArgs& q, CUtensorMap* a, CUtensorMap* b) {
    if (!wgmma::encode(a, q.a, q.m, q.k, q.heads, q.batch, q.element, S::BK, S::BM)) return false;
    return S::B_KN ? wgmma::encode(b, q.b, q.k, q.n, q.heads, q.batch, q.element, 64, S::BK)
                   : wgmma::encode(b, q.b, q.n, q.k, q.heads, q.batch, q.element, S::BK, S::B_PART_ROWS);
  });
  if (!ab || !S::TMA_STORE) return ab;
  return wgmma::cached_output_map(p, map_c, [](const GemmArgs& q, CUtensorMap* c) {
    return wgmma::encode(c, q.c, q.m, q.n, q.heads, q.batch, q.element, 64, 64);
  });
}

// The launch shape of `blocks` blocks of S's threads and shared memory, in clusters of S::CLUSTER along x.
template <class S>
LaunchShape shape_of(std::int64_t blocks) {
  return {dim3(static_cast<unsigned>(blocks)), dim3(kThreads), S::SMEM, dim3(S::CLUSTER)};
}

template <class T, class S>
cudaError_t launch_typed(const GemmArgs& p, cudaStream_t stream) {
  CUtensorMap map_a{}, map_b{}, map_c{};
  if (!tensor_maps<S>(p, &map_a, &map_b, &map_c)) return cudaErrorInvalidValue;
  const auto kernel = gemm_wgmma_128x256_kernel<T, S>;
  const std::int64_t tile_rows = (p.m + S::BM - 1) / S::BM;
  const wgmma::TileGrid grid{static_cast<int>((tile_rows + S::CLUSTER - 1) / S::CLUSTER),
                             static_cast<int>((p.n + S::BN - 1) / S::BN), p.batch * p.heads};
  const Launch l{p,
                 grid,
                 static_cast<int>(grid.tiles()),
                 wgmma::rows_in_head(p.a, p.heads),
                 wgmma::rows_in_head(p.b, p.heads),
                 wgmma::rows_in_head(p.c, p.heads)};
  if constexpr (S::CLUSTER == 1) {
    const std::int64_t blocks = std::min<std::int64_t>(grid.tiles(), std::max(p.sm_count, 1));
    return launch_kernel(kernel, shape_of<S>(blocks), stream, l, map_a, map_b, map_c);
  } else {
    // As many clusters as can be resident at once (a GPC's SMs pair up only within it, so this can be below half the
    // SMs).
    const int resident = resident_clusters(kernel, shape_of<S>(S::CLUSTER));
    if (resident < 1) return cudaErrorLaunchOutOfResources;  // no cluster of S fits the GPU, or the runtime can't say
    const std::int64_t clusters = std::min<std::int64_t>(grid.tiles(), resident);
    return launch_kernel(kernel, shape_of<S>(clusters * S::CLUSTER), stream, l, map_a, map_b, map_c);
  }
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
  if (S::TMA_STORE && !wgmma::strides_grow(p.c, p.m, p.heads, p.batch, true)) {
    return "C's strides must grow from n to head (or row) to row (or head) to batch (its TMA store's tensor map)";
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
GemmVariant gemm_wgmma_128x256_c2_variant() {
  return {"gemm_wgmma_128x256_c2", 90, 90, supports<WideCluster>, launch<WideCluster>, suits_wide, no_workspace};
}
GemmVariant gemm_wgmma_128x256_c2_tma_store_variant() {
  return {"gemm_wgmma_128x256_c2_tma_store", 90,         90,          supports<WideClusterTmaStore>,
          launch<WideClusterTmaStore>,       suits_wide, no_workspace};
}

}  // namespace kernels

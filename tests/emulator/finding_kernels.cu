// Device code for the emulator's finding tests, compiled for the emulator: each kernel has the one defect its name
// says (or none), at a line the test can find in the finding's message.
#include <cstring>
#include <memory>

#include "finding_kernels.hpp"

namespace findings {
namespace {

struct Global {  // a zeroed emulated global buffer
  explicit Global(std::size_t bytes) : data(cuda_emu::malloc_global(bytes)), bytes(bytes) {
    std::memset(data, 0, bytes);
  }
  ~Global() { cuda_emu::free_global(data); }
  Global(const Global&) = delete;
  Global& operator=(const Global&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(data);
  }
  void* data;
  std::size_t bytes;
};

cuda_emu::LaunchConfig block_of(unsigned threads, std::size_t shared_bytes = 0, unsigned blocks = 1) {
  cuda_emu::LaunchConfig config;
  config.grid = dim3(blocks);
  config.block = dim3(threads);
  config.shared_bytes = shared_bytes;
  return config;
}

__global__ void clean_pipeline_kernel(const std::uint32_t* src, std::uint32_t* dst) {
  unsigned char* smem = cuda_emu::dynamic_shared(16);
  const std::uint32_t base = cuda_emu::shared_address(smem);
  const int t = static_cast<int>(threadIdx.x), n = static_cast<int>(blockDim.x);
  cuda_emu::cp_async(base + 16 * t, src + 4 * t, 16, 16);
  cuda_emu::cp_async_commit_group();
  cuda_emu::cp_async_wait_group(0);
  __syncthreads();  // every thread's copy has landed and is seen by all
  std::uint32_t neighbour[4];
  std::memcpy(neighbour, smem + 16 * ((t + 1) % n), 16);
  __syncthreads();  // every read is done before the chunks are overwritten
  std::memcpy(smem + 16 * t, neighbour, 16);
  __syncthreads();
  std::memcpy(dst + 4 * t, smem + 16 * t, 16);
}

__global__ void write_read_race_kernel(int* out) {
  auto* shared = reinterpret_cast<int*>(cuda_emu::dynamic_shared(16));
  if (threadIdx.x == 0) shared[0] = 1;
  if (threadIdx.x == 1) *out = shared[0];  // no barrier since thread 0's write
}

__global__ void read_write_race_kernel(int* out) {
  auto* shared = reinterpret_cast<int*>(cuda_emu::dynamic_shared(16));
  shared[threadIdx.x] = 1;
  __syncthreads();
  if (threadIdx.x == 0) *out = shared[1];
  if (threadIdx.x == 1) shared[1] = 2;  // overwrites what thread 0 reads, with no barrier between
}

__global__ void warp_race_kernel(bool syncwarp, int* out) {
  auto* shared = reinterpret_cast<int*>(cuda_emu::dynamic_shared(16));
  if (threadIdx.x == 0) shared[0] = 1;
  if (syncwarp) __syncwarp();
  if (threadIdx.x == 1) *out = shared[0];
}

__global__ void syncwarp_without_writer_kernel(int* out) {
  auto* shared = reinterpret_cast<int*>(cuda_emu::dynamic_shared(16));
  if (threadIdx.x == 20) shared[0] = 1;
  if (threadIdx.x < 16) __syncwarp(0xFFFFu);  // orders lanes 0-15 only, not the writer
  if (threadIdx.x == 3) *out = shared[0];
}

__global__ void shuffle_outside_mask_kernel(int* out) {
  if (threadIdx.x < 16) out[threadIdx.x] = __shfl_sync(0xFFFFu, static_cast<int>(threadIdx.x), 16 + threadIdx.x);
}

__global__ void mma_in_partial_warp_kernel() {
  float d[4] = {};
  const std::uint32_t a[4] = {}, b[2] = {};
  cuda_emu::mma_m16n8k16(d, a, b, cuda_emu::MmaInput::kF16);
}

__global__ void unwritten_read_kernel(int* out) {
  auto* shared = reinterpret_cast<int*>(cuda_emu::dynamic_shared(16));
  shared[0] = 1;
  __syncthreads();
  *out = shared[1];  // nobody wrote element 1
}

__global__ void read_before_wait_kernel(const std::uint32_t* src, std::uint32_t* out) {
  unsigned char* smem = cuda_emu::dynamic_shared(16);
  cuda_emu::cp_async(cuda_emu::shared_address(smem), src, 16, 16);
  cuda_emu::cp_async_commit_group();
  std::memcpy(out, smem, 4);  // the copy has not been waited for
  cuda_emu::cp_async_wait_group(0);
}

__global__ void wait_keeps_newest_kernel(int pending, const std::uint32_t* src, std::uint32_t* out) {
  unsigned char* smem = cuda_emu::dynamic_shared(16);
  const std::uint32_t base = cuda_emu::shared_address(smem);
  cuda_emu::cp_async(base, src, 16, 16);  // group 0
  cuda_emu::cp_async_commit_group();
  cuda_emu::cp_async(base + 16, src + 4, 16, 16);  // group 1
  cuda_emu::cp_async_commit_group();
  cuda_emu::cp_async_wait_group(pending);
  std::memcpy(out, smem, 4);           // group 0: delivered by wait_group 1 or 0
  std::memcpy(out + 1, smem + 16, 4);  // group 1: delivered by wait_group 0 only
}

__global__ void uncommitted_copy_kernel(const std::uint32_t* src, std::uint32_t* out) {
  unsigned char* smem = cuda_emu::dynamic_shared(16);
  cuda_emu::cp_async(cuda_emu::shared_address(smem), src, 16, 16);
  cuda_emu::cp_async_wait_group(0);  // waits for committed groups only: this copy is in none
  std::memcpy(out, smem, 4);
}

__global__ void barrier_after_exit_kernel() {
  if (threadIdx.x >= 32) return;
  __syncthreads();
}

__global__ void barriers_at_two_sites_kernel() {
  if (threadIdx.x < 32) {
    __syncthreads();
  } else {
    __syncthreads();
  }
}

__global__ void divergent_shuffle_kernel(int* out) {
  int v = static_cast<int>(threadIdx.x);
  if (threadIdx.x < 31) v = __shfl_sync(0xFFFFFFFFu, v, 0);  // waits for lane 31, which waits at the barrier
  __syncthreads();
  out[threadIdx.x] = v;
}

__global__ void collective_with_ended_lane_kernel(int* out) {
  if (threadIdx.x == 31) return;
  out[threadIdx.x] = __shfl_sync(0xFFFFFFFFu, static_cast<int>(threadIdx.x), 0);
}

__global__ void ldmatrix_out_of_bounds_kernel(std::uint32_t* out) {
  unsigned char* smem = cuda_emu::dynamic_shared(16);
  std::memset(smem, 0, 512);
  __syncwarp();
  std::uint32_t r[4];
  cuda_emu::ldmatrix_x4(r, cuda_emu::shared_address(smem) + 16 * threadIdx.x + 512, false);  // 512 bytes past the end
  out[threadIdx.x] = r[0];
}

__global__ void copy_out_of_bounds_kernel(const std::uint32_t* src) {
  unsigned char* smem = cuda_emu::dynamic_shared(16);
  cuda_emu::cp_async(cuda_emu::shared_address(smem), src + 4, 16, 16);  // src holds 16 bytes: this is past them
  cuda_emu::cp_async_commit_group();
  cuda_emu::cp_async_wait_group(0);
}

__global__ void null_store_kernel(int* nowhere, int* out) {
  if (threadIdx.x == 3) nowhere[threadIdx.x] = 1;  // a null pointer's store: it would fault the process, not the launch
  __syncthreads();
  out[threadIdx.x] = 1;  // never reached: the launch ends at the store
}

__global__ void trap_kernel() {
  if (threadIdx.x == 5) __trap();
}

__global__ void spin_kernel(const volatile int* flag) {
  while (*flag == 0) __nanosleep(100);
}

__global__ void empty_kernel() {}

__global__ void record_order_kernel(int* counter, int* order, bool by_block) {
  order[atomicAdd(counter, 1)] = static_cast<int>(by_block ? blockIdx.x : threadIdx.x);
}

}  // namespace

bool plain_accesses_checked() {
#if defined(__SANITIZE_THREAD__)
  return true;
#else
  return false;
#endif
}

cudaError_t clean_pipeline() {
  Global src(64 * 16), dst(64 * 16);
  return cuda_emu::launch(clean_pipeline_kernel, block_of(64, 64 * 16), src.as<const std::uint32_t>(),
                          dst.as<std::uint32_t>());
}
cudaError_t write_read_race() {
  Global out(4);
  return cuda_emu::launch(write_read_race_kernel, block_of(32, 16), out.as<int>());
}
cudaError_t read_write_race() {
  Global out(4);
  return cuda_emu::launch(read_write_race_kernel, block_of(4, 16), out.as<int>());
}
cudaError_t warp_race(bool syncwarp) {
  Global out(4);
  return cuda_emu::launch(warp_race_kernel, block_of(32, 16), syncwarp, out.as<int>());
}
cudaError_t syncwarp_without_writer() {
  Global out(4);
  return cuda_emu::launch(syncwarp_without_writer_kernel, block_of(32, 16), out.as<int>());
}
cudaError_t shuffle_outside_mask() {
  Global out(32 * 4);
  return cuda_emu::launch(shuffle_outside_mask_kernel, block_of(32), out.as<int>());
}
cudaError_t mma_in_partial_warp() { return cuda_emu::launch(mma_in_partial_warp_kernel, block_of(48)); }
cudaError_t unwritten_read() {
  Global out(4);
  return cuda_emu::launch(unwritten_read_kernel, block_of(1, 16), out.as<int>());
}
cudaError_t read_before_wait() {
  Global src(16), out(4);
  return cuda_emu::launch(read_before_wait_kernel, block_of(1, 16), src.as<const std::uint32_t>(),
                          out.as<std::uint32_t>());
}
cudaError_t wait_keeps_newest(int pending) {
  Global src(32), out(8);
  return cuda_emu::launch(wait_keeps_newest_kernel, block_of(1, 32), pending, src.as<const std::uint32_t>(),
                          out.as<std::uint32_t>());
}
cudaError_t uncommitted_copy() {
  Global src(16), out(4);
  return cuda_emu::launch(uncommitted_copy_kernel, block_of(1, 16), src.as<const std::uint32_t>(),
                          out.as<std::uint32_t>());
}
cudaError_t barrier_after_exit() { return cuda_emu::launch(barrier_after_exit_kernel, block_of(64)); }
cudaError_t barriers_at_two_sites() { return cuda_emu::launch(barriers_at_two_sites_kernel, block_of(64)); }
cudaError_t divergent_shuffle() {
  Global out(32 * 4);
  return cuda_emu::launch(divergent_shuffle_kernel, block_of(32), out.as<int>());
}
cudaError_t collective_with_ended_lane() {
  Global out(32 * 4);
  return cuda_emu::launch(collective_with_ended_lane_kernel, block_of(32), out.as<int>());
}
cudaError_t ldmatrix_out_of_bounds() {
  Global out(32 * 4);
  return cuda_emu::launch(ldmatrix_out_of_bounds_kernel, block_of(32, 512), out.as<std::uint32_t>());
}
cudaError_t copy_out_of_bounds() {
  Global src(16);
  return cuda_emu::launch(copy_out_of_bounds_kernel, block_of(1, 16), src.as<const std::uint32_t>());
}
cudaError_t null_store(int* out_first) {
  Global out(32 * 4);
  const cudaError_t status =
      cuda_emu::launch(null_store_kernel, block_of(32), static_cast<int*>(nullptr), out.as<int>());
  std::memcpy(out_first, out.data, sizeof(int));
  return status;
}
cudaError_t trap() { return cuda_emu::launch(trap_kernel, block_of(32)); }
cudaError_t spin_forever() {
  Global flag(4);
  return cuda_emu::launch(spin_kernel, block_of(1), flag.as<const volatile int>());
}
cudaError_t too_much_shared_memory(bool opt_in) {
  const std::size_t bytes = 64 * 1024;
  if (opt_in) {
    const cudaError_t status = cuda_emu::set_max_dynamic_shared(reinterpret_cast<const void*>(empty_kernel), bytes);
    if (status != cudaSuccess) return status;
  }
  return cuda_emu::launch(empty_kernel, block_of(32, bytes));
}
cudaError_t cluster_launch() {
  cuda_emu::LaunchConfig config = block_of(32, 0, 2);
  config.cluster = dim3(2);
  return cuda_emu::launch(empty_kernel, config);
}

std::vector<int> block_order(int blocks) {
  Global counter(4), order(4 * static_cast<std::size_t>(blocks));
  cuda_emu::launch(record_order_kernel, block_of(1, 0, static_cast<unsigned>(blocks)), counter.as<int>(),
                   order.as<int>(), true);
  return {order.as<int>(), order.as<int>() + blocks};
}

std::vector<int> thread_order(int threads) {
  Global counter(4), order(4 * static_cast<std::size_t>(threads));
  cuda_emu::launch(record_order_kernel, block_of(static_cast<unsigned>(threads)), counter.as<int>(), order.as<int>(),
                   false);
  return {order.as<int>(), order.as<int>() + threads};
}

}  // namespace findings

// Device code for the emulator's traffic tests, compiled for the emulator (emulator/cuda_shim.hpp).
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "traffic_kernels.hpp"

namespace traffic {
namespace {

struct Buffer {  // an emulated global allocation
  explicit Buffer(std::size_t bytes) : data(cuda_emu::malloc_global(bytes)) {}
  ~Buffer() { cuda_emu::free_global(data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(data);
  }
  void* data;
};

// Runs one launch with traffic counted and returns its counts.
template <class Launch>
std::vector<cuda_emu::TrafficCount> counted(Launch launch) {
  cuda_emu::take_traffic();
  cuda_emu::take_footprints();
  const bool before = cuda_emu::options().count_traffic;
  cuda_emu::options().count_traffic = true;
  const cudaError_t status = launch();
  cuda_emu::options().count_traffic = before;
  if (status != cudaSuccess) throw std::runtime_error(std::string("launch failed: ") + cudaGetErrorName(status));
  return cuda_emu::take_traffic();
}

__global__ void copy_kernel(const float* in, float* out, int stride) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  out[i] = in[i * stride];
}

__global__ void shared_words_kernel(float* out, int stride) {
  float* s = reinterpret_cast<float*>(cuda_emu::dynamic_shared(16));
  const int lane = static_cast<int>(threadIdx.x);
  s[lane * stride] = static_cast<float>(lane);
  __syncwarp();
  out[lane] = s[lane * stride] + s[0];
}

__global__ void cp_async_kernel(const uint4* in, int dst_stride) {
  unsigned char* s = cuda_emu::dynamic_shared(16);
  const int lane = static_cast<int>(threadIdx.x);
  cuda_emu::cp_async(cuda_emu::shared_address(s) + static_cast<std::uint32_t>(lane * dst_stride), in + lane, 16, 16);
  cuda_emu::cp_async_commit_group();
  cuda_emu::cp_async_wait_group(0);
}

// The copy of one 16-byte piece, zero-filled when `valid` is false: one site for every operand it copies.
__device__ void copy_piece(std::uint32_t dst, const uint4* src, bool valid) {
  cuda_emu::cp_async(dst, src, 16, valid ? 16 : 0);
}

__global__ void cp_async_shared_site_kernel(const uint4* a, const uint4* b) {
  unsigned char* s = cuda_emu::dynamic_shared(16);
  const int lane = static_cast<int>(threadIdx.x);
  const std::uint32_t dst = cuda_emu::shared_address(s) + static_cast<std::uint32_t>(lane * 16);
  copy_piece(dst, a + lane, lane < 7);
  copy_piece(dst + 512, b + lane, true);
  copy_piece(dst + 1024, a, false);
  cuda_emu::cp_async_commit_group();
  cuda_emu::cp_async_wait_group(0);
}

__global__ void ldmatrix_kernel(std::uint32_t* out, int row_stride, int bytes) {
  unsigned char* s = cuda_emu::dynamic_shared(16);
  for (int i = static_cast<int>(threadIdx.x); i < bytes; i += 32) s[i] = static_cast<unsigned char>(i);
  __syncwarp();
  std::uint32_t r[4];
  const int lane = static_cast<int>(threadIdx.x);
  cuda_emu::ldmatrix_x4(r, cuda_emu::shared_address(s) + static_cast<std::uint32_t>(lane * row_stride), false);
  out[lane] = r[0] ^ r[1] ^ r[2] ^ r[3];
}

cuda_emu::LaunchConfig config(int blocks, int threads, std::size_t shared_bytes = 0) {
  cuda_emu::LaunchConfig c;
  c.grid = dim3(static_cast<unsigned>(blocks));
  c.block = dim3(static_cast<unsigned>(threads));
  c.shared_bytes = shared_bytes;
  return c;
}

}  // namespace

bool plain_accesses_counted() {
#if defined(__SANITIZE_THREAD__)
  return true;
#else
  return false;
#endif
}

std::vector<cuda_emu::TrafficCount> copy_floats(int stride, int blocks, int threads) {
  const int n = blocks * threads;
  Buffer in(sizeof(float) * static_cast<std::size_t>(n) * static_cast<std::size_t>(std::max(stride, 1)));
  Buffer out(sizeof(float) * n);
  return counted([&] {
    return cuda_emu::launch(copy_kernel, config(blocks, threads), in.as<const float>(), out.as<float>(), stride);
  });
}

std::vector<cuda_emu::TrafficCount> shared_words(int stride) {
  Buffer out(sizeof(float) * 32);
  return counted([&] {
    return cuda_emu::launch(shared_words_kernel, config(1, 32, sizeof(float) * (32 * stride + 1)), out.as<float>(),
                            stride);
  });
}

std::vector<cuda_emu::TrafficCount> cp_async_rows(int dst_stride) {
  Buffer in(16 * 32);
  return counted([&] {
    return cuda_emu::launch(cp_async_kernel, config(1, 32, static_cast<std::size_t>(32 * dst_stride)),
                            in.as<const uint4>(), dst_stride);
  });
}

std::vector<cuda_emu::TrafficCount> cp_async_shared_site() {
  Buffer a(16 * 32), b(16 * 32);
  return counted([&] {
    return cuda_emu::launch(cp_async_shared_site_kernel, config(1, 32, 3 * 512), a.as<const uint4>(),
                            b.as<const uint4>());
  });
}

std::vector<cuda_emu::TrafficCount> ldmatrix_rows(int row_stride) {
  Buffer out(sizeof(std::uint32_t) * 32);
  const int bytes = 32 * row_stride;
  return counted([&] {
    return cuda_emu::launch(ldmatrix_kernel, config(1, 32, static_cast<std::size_t>(bytes)), out.as<std::uint32_t>(),
                            row_stride, bytes);
  });
}

}  // namespace traffic

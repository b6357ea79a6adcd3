// Device code for the emulator's instruction tests, compiled for the emulator (emulator/cuda_shim.hpp): each kernel
// is one warp that loads its operands from global memory, runs one instruction and stores what it got.
#include <cstring>
#include <stdexcept>

#include "instruction_probes.hpp"

namespace probes {
namespace {

template <class T>
struct Global {  // an emulated global buffer holding a copy of `host`
  explicit Global(const T& host) : data(static_cast<T*>(cuda_emu::malloc_global(sizeof(T)))) {
    std::memcpy(static_cast<void*>(data), &host, sizeof(T));
  }
  ~Global() { cuda_emu::free_global(data); }
  Global(const Global&) = delete;
  Global& operator=(const Global&) = delete;
  T read() const {
    T out;
    std::memcpy(static_cast<void*>(&out), data, sizeof(T));
    return out;
  }
  T* data;
};

void check(cudaError_t status) {
  if (status != cudaSuccess) throw std::runtime_error(std::string("probe launch failed: ") + cudaGetErrorName(status));
}

cuda_emu::LaunchConfig one_warp(std::size_t shared_bytes = 0) {
  cuda_emu::LaunchConfig config;
  config.block = dim3(32);
  config.shared_bytes = shared_bytes;
  return config;
}

__global__ void mma_kernel(const Lanes4* a, const Lanes2* b, const LanesF* c, LanesF* d, cuda_emu::MmaInput input) {
  const int lane = threadIdx.x;
  std::uint32_t ra[4], rb[2];
  float acc[4];
  for (int i = 0; i < 4; ++i) ra[i] = (*a)[lane][i];
  for (int i = 0; i < 2; ++i) rb[i] = (*b)[lane][i];
  for (int i = 0; i < 4; ++i) acc[i] = (*c)[lane][i];
  cuda_emu::mma_m16n8k16(acc, ra, rb, input);
  for (int i = 0; i < 4; ++i) (*d)[lane][i] = acc[i];
}

__global__ void ldmatrix_kernel(const std::uint16_t* tile, int elements, const std::array<std::uint32_t, 32>* rows,
                                bool trans, Lanes4* out) {
  unsigned char* shared = cuda_emu::dynamic_shared(16);
  for (int i = threadIdx.x; i < elements; i += 32) std::memcpy(shared + 2 * i, tile + i, 2);
  __syncwarp();
  std::uint32_t r[4];
  cuda_emu::ldmatrix_x4(r, cuda_emu::shared_address(shared) + 2 * (*rows)[threadIdx.x], trans);
  for (int i = 0; i < 4; ++i) (*out)[threadIdx.x][i] = r[i];
}

__global__ void shuffle_kernel(cuda_emu::Shuffle mode, std::uint32_t mask, int lane_or_delta, int width,
                               const std::array<std::uint32_t, 32>* in, std::array<std::uint32_t, 32>* out) {
  const int lane = threadIdx.x;
  std::uint32_t v = (*in)[lane];
  if (mask & (1u << lane)) {
    switch (mode) {
      case cuda_emu::Shuffle::kIndex:
        v = __shfl_sync(mask, v, lane_or_delta, width);
        break;
      case cuda_emu::Shuffle::kDown:
        v = __shfl_down_sync(mask, v, static_cast<unsigned>(lane_or_delta), width);
        break;
      case cuda_emu::Shuffle::kUp:
        v = __shfl_up_sync(mask, v, static_cast<unsigned>(lane_or_delta), width);
        break;
      case cuda_emu::Shuffle::kXor:
        v = __shfl_xor_sync(mask, v, lane_or_delta, width);
        break;
    }
  }
  (*out)[lane] = v;
}

__global__ void shuffle_double_kernel(cuda_emu::Shuffle mode, int lane_or_delta, const std::array<double, 32>* in,
                                      std::array<double, 32>* out) {
  const int lane = threadIdx.x;
  const double v = (*in)[lane];
  (*out)[lane] = mode == cuda_emu::Shuffle::kDown
                     ? __shfl_down_sync(0xFFFFFFFFu, v, static_cast<unsigned>(lane_or_delta))
                     : __shfl_sync(0xFFFFFFFFu, v, lane_or_delta);
}

__global__ void byte_perm_kernel(std::uint32_t x, std::uint32_t y, std::uint32_t selector, std::uint32_t* out) {
  if (threadIdx.x == 0) *out = __byte_perm(x, y, selector);
}

}  // namespace

LanesF mma(const Lanes4& a, const Lanes2& b, const LanesF& c, cuda_emu::MmaInput input) {
  Global<Lanes4> ga(a);
  Global<Lanes2> gb(b);
  Global<LanesF> gc(c), gd(c);
  check(cuda_emu::launch(mma_kernel, one_warp(), ga.data, gb.data, gc.data, gd.data, input));
  return gd.read();
}

Lanes4 ldmatrix_x4(const std::vector<std::uint16_t>& shared, const std::array<std::uint32_t, 32>& row_start,
                   bool trans) {
  auto* tile = static_cast<std::uint16_t*>(cuda_emu::malloc_global(2 * shared.size()));
  std::memcpy(tile, shared.data(), 2 * shared.size());
  Global<std::array<std::uint32_t, 32>> rows(row_start);
  Global<Lanes4> out(Lanes4{});
  const cudaError_t status = cuda_emu::launch(ldmatrix_kernel, one_warp(2 * shared.size()), tile,
                                              static_cast<int>(shared.size()), rows.data, trans, out.data);
  cuda_emu::free_global(tile);
  check(status);
  return out.read();
}

std::array<std::uint32_t, 32> shuffle(cuda_emu::Shuffle mode, std::uint32_t mask, int lane_or_delta, int width,
                                      const std::array<std::uint32_t, 32>& values) {
  Global<std::array<std::uint32_t, 32>> in(values), out(values);
  check(cuda_emu::launch(shuffle_kernel, one_warp(), mode, mask, lane_or_delta, width, in.data, out.data));
  return out.read();
}

std::array<double, 32> shuffle_double(cuda_emu::Shuffle mode, int lane_or_delta, const std::array<double, 32>& values) {
  Global<std::array<double, 32>> in(values), out(values);
  check(cuda_emu::launch(shuffle_double_kernel, one_warp(), mode, lane_or_delta, in.data, out.data));
  return out.read();
}

std::uint32_t byte_perm(std::uint32_t x, std::uint32_t y, std::uint32_t selector) {
  Global<std::uint32_t> out(0u);
  check(cuda_emu::launch(byte_perm_kernel, one_warp(), x, y, selector, out.data));
  return out.read();
}

}  // namespace probes

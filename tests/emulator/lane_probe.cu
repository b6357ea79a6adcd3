// The lane probes (lane_probe.hpp), for a GPU (nvcc) or for the emulator (emulator/cuda_shim.hpp): the same kernels,
// through the project's PTX wrappers and CUDA's intrinsics, and the same host code but for where memory comes from.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/launch.cuh"
#include "kernels/ptx/mma.cuh"
#include "kernels/target.cuh"
#include "lane_probe.hpp"

namespace lane_probe {
namespace {

using Word = std::uint32_t;

// ---- device code --------------------------------------------------------------------------------------------------

// a: 4 words a lane, b: 2, c and d: 4 floats; one warp.
template <class T>
__global__ void mma_kernel(const Word* a, const Word* b, const float* c, float* d) {
#if BENCH_LLAMA_SM80_DEVICE
  const int lane = static_cast<int>(threadIdx.x);
  const Word ra[4] = {a[4 * lane], a[4 * lane + 1], a[4 * lane + 2], a[4 * lane + 3]};
  const Word rb[2] = {b[2 * lane], b[2 * lane + 1]};
  float acc[4] = {c[4 * lane], c[4 * lane + 1], c[4 * lane + 2], c[4 * lane + 3]};
  kernels::detail::mma_16816<T>(acc, ra, rb);
  for (int i = 0; i < 4; ++i) d[4 * lane + i] = acc[i];
#endif
}

// `tile` (16-bit elements) copied to shared memory; lane l passes the address of element row[l]; 4 words a lane out.
__global__ void ldmatrix_kernel(const std::uint16_t* tile, int elements, const Word* row, bool trans, Word* out) {
#if BENCH_LLAMA_SM80_DEVICE
  BENCH_LLAMA_DYNAMIC_SHARED(shared, 16);
  auto* s = reinterpret_cast<std::uint16_t*>(shared);
  for (int i = static_cast<int>(threadIdx.x); i < elements; i += 32) s[i] = tile[i];
  __syncwarp();
  Word r[4];
  const Word address = kernels::detail::smem_address(shared) + 2 * row[threadIdx.x];
  if (trans) {
    kernels::detail::ldmatrix_x4_trans(r, address);
  } else {
    kernels::detail::ldmatrix_x4(r, address);
  }
  for (int i = 0; i < 4; ++i) out[4 * threadIdx.x + i] = r[i];
#endif
}

// Every lane shuffles value 100 + lane: mode 0 idx, 1 up, 2 down, 3 xor.
__global__ void shuffle_kernel(int mode, int lane_or_delta, int width, Word* out) {
  const Word v = 100 + threadIdx.x;
  Word got = 0;
  if (mode == 0) got = __shfl_sync(0xFFFFFFFFu, v, lane_or_delta, width);
  if (mode == 1) got = __shfl_up_sync(0xFFFFFFFFu, v, static_cast<unsigned>(lane_or_delta), width);
  if (mode == 2) got = __shfl_down_sync(0xFFFFFFFFu, v, static_cast<unsigned>(lane_or_delta), width);
  if (mode == 3) got = __shfl_xor_sync(0xFFFFFFFFu, v, lane_or_delta, width);
  out[threadIdx.x] = got;
}

__global__ void byte_perm_kernel(Word x, Word y, const Word* selectors, int count, Word* out) {
  for (int i = static_cast<int>(threadIdx.x); i < count; i += 32) out[i] = __byte_perm(x, y, selectors[i]);
}

// ---- host code: memory on the device the file is compiled for -----------------------------------------------------

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorName(status));
}

template <class T>
class Buffer {
 public:
  explicit Buffer(const std::vector<T>& host) : count_(host.size()) {
#if defined(CUDA_EMU)
    data_ = static_cast<T*>(cuda_emu::malloc_global(sizeof(T) * count_));
    std::memcpy(data_, host.data(), sizeof(T) * count_);
#else
    check(cudaMalloc(&data_, sizeof(T) * count_), "cudaMalloc");
    check(cudaMemcpy(data_, host.data(), sizeof(T) * count_, cudaMemcpyHostToDevice), "cudaMemcpy");
#endif
  }
  ~Buffer() {
#if defined(CUDA_EMU)
    cuda_emu::free_global(data_);
#else
    cudaFree(data_);
#endif
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  T* get() const { return data_; }
  std::vector<T> read() const {
    std::vector<T> host(count_);
#if defined(CUDA_EMU)
    std::memcpy(host.data(), data_, sizeof(T) * count_);
#else
    check(cudaMemcpy(host.data(), data_, sizeof(T) * count_, cudaMemcpyDeviceToHost), "cudaMemcpy");
#endif
    return host;
  }

 private:
  T* data_ = nullptr;
  std::size_t count_;
};

void synchronize() {
#if !defined(CUDA_EMU)
  check(cudaDeviceSynchronize(), "a probe kernel");
#endif
}

// ---- the probes --------------------------------------------------------------------------------------------------

template <class T>
std::uint16_t bits(float v) {
  std::uint16_t out;
  if constexpr (std::is_same_v<T, __half>) {
    const __half h = __float2half_rn(v);
    std::memcpy(&out, &h, 2);
  } else {
    const __nv_bfloat16 h = __float2bfloat16_rn(v);
    std::memcpy(&out, &h, 2);
  }
  return out;
}

// D's nonzero entries, "lane.register=value".
std::string nonzero(const std::vector<float>& d) {
  std::ostringstream out;
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < 4; ++i) {
      if (d[4 * lane + i] != 0.0f) out << ' ' << lane << '.' << i << '=' << d[4 * lane + i];
    }
  }
  return out.str();
}

// A one-hot in one half of one register of one lane of A (or B), the other operand all distinct small integers:
// D shows where the hardware put that element.
template <class T>
void mma_maps(const char* name, std::ostream& out) {
  const std::vector<float> zero_c(128, 0.0f);
  Buffer<float> c(zero_c), d(zero_c);
  for (const bool probe_a : {true, false}) {
    const int regs = probe_a ? 4 : 2;
    std::vector<Word> distinct(static_cast<std::size_t>(32 * (probe_a ? 2 : 4)));
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      const std::uint16_t lo = bits<T>(static_cast<float>(2 * (i % 64) + 1));  // 1..127: exact in fp16 and bf16
      const std::uint16_t hi = bits<T>(static_cast<float>(2 * (i % 64) + 2));
      distinct[i] = lo | (static_cast<Word>(hi) << 16);
    }
    Buffer<Word> other(distinct);
    for (int lane = 0; lane < 32; ++lane) {
      for (int reg = 0; reg < regs; ++reg) {
        for (int half = 0; half < 2; ++half) {
          std::vector<Word> hot(static_cast<std::size_t>(32 * regs), 0);
          hot[static_cast<std::size_t>(regs * lane + reg)] = static_cast<Word>(bits<T>(1.0f)) << (16 * half);
          Buffer<Word> one(hot);
          check(kernels::launch_kernel(mma_kernel<T>, {dim3(1), dim3(32)}, nullptr, probe_a ? one.get() : other.get(),
                                       probe_a ? other.get() : one.get(), c.get(), d.get()),
                "mma probe");
          synchronize();
          out << name << (probe_a ? " a" : " b") << " lane " << lane << " reg " << reg << " half " << half << ":"
              << nonzero(d.read()) << '\n';
        }
      }
    }
  }
}

void ldmatrix_maps(std::ostream& out) {
  // 32 rows of 8 elements scattered over shared memory (row r of lane l at element 24 * ((7 l) % 32)), each element a
  // unique value.
  std::vector<std::uint16_t> tile(32 * 24);
  for (std::size_t i = 0; i < tile.size(); ++i) tile[i] = static_cast<std::uint16_t>(0x1000 + i);
  std::vector<Word> rows(32);
  for (int l = 0; l < 32; ++l) rows[l] = static_cast<Word>(((l * 7) % 32) * 24);
  Buffer<std::uint16_t> t(tile);
  Buffer<Word> r(rows), result(std::vector<Word>(128, 0));
  for (const bool trans : {false, true}) {
    check(kernels::launch_kernel(ldmatrix_kernel, {dim3(1), dim3(32), 2 * tile.size()}, nullptr, t.get(),
                                 static_cast<int>(tile.size()), r.get(), trans, result.get()),
          "ldmatrix probe");
    synchronize();
    const std::vector<Word> got = result.read();
    for (int lane = 0; lane < 32; ++lane) {
      out << (trans ? "ldmatrix.x4.trans" : "ldmatrix.x4") << " lane " << lane << ":";
      for (int i = 0; i < 4; ++i) out << ' ' << std::hex << got[4 * lane + i] << std::dec;
      out << '\n';
    }
  }
}

void shuffle_maps(std::ostream& out) {
  static const char* names[] = {"shfl.idx", "shfl.up", "shfl.down", "shfl.bfly"};
  Buffer<Word> result(std::vector<Word>(32, 0));
  for (int mode = 0; mode < 4; ++mode) {
    for (const int width : {32, 16, 8, 4}) {
      for (const int b : {0, 1, 3, 8, 17, 33}) {
        check(kernels::launch_kernel(shuffle_kernel, {dim3(1), dim3(32)}, nullptr, mode, b, width, result.get()),
              "shuffle probe");
        synchronize();
        out << names[mode] << " width " << width << " b " << b << ":";
        for (const Word v : result.read()) out << ' ' << v;
        out << '\n';
      }
    }
  }
}

void byte_perm_map(std::ostream& out) {
  const std::vector<Word> selectors = {0x3210, 0x7654, 0x0123, 0x5410, 0x7632, 0x4444, 0xC840, 0x89AB, 0xFEDC};
  Buffer<Word> s(selectors), result(std::vector<Word>(selectors.size(), 0));
  check(kernels::launch_kernel(byte_perm_kernel, {dim3(1), dim3(32)}, nullptr, 0x33221100u, 0x77665544u, s.get(),
                               static_cast<int>(selectors.size()), result.get()),
        "byte_perm probe");
  synchronize();
  const std::vector<Word> got = result.read();
  for (std::size_t i = 0; i < selectors.size(); ++i) {
    out << "byte_perm 0x33221100 0x77665544 selector " << std::hex << selectors[i] << ": " << got[i] << std::dec
        << '\n';
  }
}

}  // namespace

std::string lane_maps() {
  std::ostringstream out;
  mma_maps<__half>("mma.m16n8k16.f16", out);
  mma_maps<__nv_bfloat16>("mma.m16n8k16.bf16", out);
  ldmatrix_maps(out);
  shuffle_maps(out);
  byte_perm_map(out);
  return out.str();
}

}  // namespace lane_probe

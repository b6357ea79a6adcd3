// The sm_80 instructions: mma.sync m16n8k16, ldmatrix .x4 (.trans) and cp.async with its groups, from the PTX ISA's
// definitions. tests/emulator/ checks each against layouts from outside this project (CuTe's MMA and copy traits,
// the PTX ISA's figures), so that a kernel and the emulator cannot agree on one misreading.
#include <cmath>
#include <cstring>
#include <string>

#include "emulator/runtime.hpp"

namespace cuda_emu {

using detail::current_launch;
using detail::current_thread;
using detail::PendingCollective;
using detail::Thread;

namespace {

// 16-bit floating point to fp32 (exact for both formats).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const int exponent = (h >> 10) & 0x1F;
  std::uint32_t mantissa = h & 0x3FFu;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // inf, NaN
  } else if (exponent != 0) {
    bits = sign | (static_cast<std::uint32_t>(exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while (!(mantissa & 0x400u));
    bits = sign | (static_cast<std::uint32_t>(112 - e) << 23) | ((mantissa & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
float bf16_to_float(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

struct MmaPayload {
  float* d;
  const std::uint32_t* a;
  const std::uint32_t* b;
};

// Element h (0: the low 16 bits) of register r of lane `lane`'s fragment.
std::uint16_t half_of(const std::uint32_t* regs, int r, int h) {
  return static_cast<std::uint16_t>(regs[r] >> (16 * h));
}

void complete_mma(PendingCollective& c) {
  const bool bf16 = static_cast<MmaInput>(c.mode) == MmaInput::kBF16;
  const auto to_float = [bf16](std::uint16_t v) { return bf16 ? bf16_to_float(v) : half_to_float(v); };
  float A[16][16], B[16][8], C[16][8];
  // "Matrix Fragments for mma.m16n8k16 with floating point type": g = lane / 4 (groupID), t = lane % 4.
  for (int lane = 0; lane < 32; ++lane) {
    const auto* p = static_cast<const MmaPayload*>(c.payload[lane]);
    const int g = lane / 4, t = lane % 4;
    for (int r = 0; r < 4; ++r) {
      for (int h = 0; h < 2; ++h) {
        // a_i, i = 2r + h: row g (+8 for a2, a3, a6, a7), column 2t + (i & 1) (+8 for a4..a7).
        A[g + 8 * (r & 1)][2 * t + h + 8 * (r >> 1)] = to_float(half_of(p->a, r, h));
      }
    }
    for (int r = 0; r < 2; ++r) {
      for (int h = 0; h < 2; ++h)
        B[2 * t + h + 8 * r][g] = to_float(half_of(p->b, r, h));  // b_i: row 2t + (i & 1) (+8)
    }
    for (int i = 0; i < 4; ++i) C[g + 8 * (i >> 1)][2 * t + (i & 1)] = p->d[i];  // c_i: row g (+8), column 2t + (i & 1)
  }
  for (int lane = 0; lane < 32; ++lane) {
    auto* p = static_cast<MmaPayload*>(c.payload[lane]);
    const int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; ++i) {
      const int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
      // Products of 16-bit inputs are exact in fp32; they are summed exactly (in double) and rounded once onto the
      // accumulator: the hardware's order and intermediate rounding are unspecified, and tests compare with
      // tolerances, never bit for bit.
      double sum = 0;
      for (int k = 0; k < 16; ++k) sum += static_cast<double>(A[row][k]) * B[k][col];
      p->d[i] = static_cast<float>(static_cast<double>(C[row][col]) + sum);
    }
  }
}

struct LdmatrixPayload {
  std::uint32_t address;
  std::uint32_t* r;
  Site site;
};

void complete_ldmatrix(PendingCollective& c, bool trans) {
  detail::Launch& launch = *current_launch();
  detail::Block& block = *launch.block;
  const int warp = launch.thread->index / 32;
  // Each lane's 16-byte row, read (and checked) once.
  std::uint16_t rows[4][8][8];  // [matrix][row][element]
  for (int lane = 0; lane < 32; ++lane) {
    const auto* p = static_cast<const LdmatrixPayload*>(c.payload[lane]);
    const Thread& reader = block.threads[32 * warp + lane];
    const auto who = detail::accessor(reader, p->site);
    if (p->address % 16 != 0) {
      detail::fail(Finding::kSharedBounds,
                   "ldmatrix row address " + std::to_string(p->address) + " is not 16-byte aligned", &reader, p->site,
                   cudaErrorMisalignedAddress);
    }
    const unsigned char* bytes = launch.shared.at(p->address, 16, who, "ldmatrix");
    launch.shared.read(p->address, 16, who);
    if (launch.traffic)
      launch.traffic->count(detail::AccessKind::kLdmatrix, true, reader.index, p->site, nullptr, p->address, 16);
    std::memcpy(rows[lane / 8][lane % 8], bytes, 16);
  }
  // "Warp-level matrix load instruction: ldmatrix": lane l receives, of each matrix i, row l / 4, elements 2 (l % 4)
  // and 2 (l % 4) + 1 (the low half first); with .trans, the same of the transposed matrix: elements (2 (l % 4), l / 4)
  // and (2 (l % 4) + 1, l / 4).
  for (int lane = 0; lane < 32; ++lane) {
    auto* p = static_cast<LdmatrixPayload*>(c.payload[lane]);
    const int row = lane / 4, col = 2 * (lane % 4);
    for (int i = 0; i < 4; ++i) {
      const std::uint16_t lo = trans ? rows[i][col][row] : rows[i][row][col];
      const std::uint16_t hi = trans ? rows[i][col + 1][row] : rows[i][row][col + 1];
      p->r[i] = static_cast<std::uint32_t>(lo) | (static_cast<std::uint32_t>(hi) << 16);
    }
  }
}

}  // namespace

void mma_m16n8k16(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2], MmaInput input, Site site) {
  MmaPayload mine{d, a, b};
  const std::uint32_t full = detail::lanes_of(*current_launch()->block, current_thread("mma.sync", site).index / 32);
  detail::join_collective(detail::Collective::kMma, full, static_cast<int>(input), &mine, site, complete_mma);
}

void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t address, bool trans, Site site) {
  LdmatrixPayload mine{address, r, site};
  const std::uint32_t full = detail::lanes_of(*current_launch()->block, current_thread("ldmatrix", site).index / 32);
  detail::join_collective(
      detail::Collective::kLdmatrix, full, trans ? 1 : 0, &mine, site,
      trans ? [](PendingCollective& c) { complete_ldmatrix(c, true); }
            : [](PendingCollective& c) { complete_ldmatrix(c, false); });
}

void cp_async(std::uint32_t dst, const void* src, int cp_size, int src_size, Site site) {
  Thread& t = current_thread("cp.async", site);
  detail::Launch& launch = *current_launch();
  if (cp_size != 4 && cp_size != 8 && cp_size != 16) {
    detail::fail(Finding::kLaunch, "cp.async of " + std::to_string(cp_size) + " bytes (4, 8 or 16)", &t, site);
  }
  if (src_size < 0 || src_size > cp_size) {
    detail::fail(Finding::kLaunch, "cp.async with a source size of " + std::to_string(src_size), &t, site);
  }
  if (dst % cp_size != 0 || reinterpret_cast<std::uintptr_t>(src) % cp_size != 0) {
    detail::fail(Finding::kSharedBounds,
                 "cp.async of " + std::to_string(cp_size) +
                     " bytes from or to an address not "
                     "aligned to its size",
                 &t, site, cudaErrorMisalignedAddress);
  }
  const auto who = detail::accessor(t, site);
  launch.shared.at(dst, cp_size, who, "cp.async destination");
  if (src_size > 0 && !in_global_allocation(src, src_size)) {
    detail::fail(Finding::kGlobalBounds,
                 "cp.async reads " + std::to_string(src_size) + " bytes outside every global allocation", &t, site,
                 cudaErrorIllegalAddress);
  }
  detail::AsyncCopy copy{dst, cp_size, {}, site};
  std::memcpy(copy.data, src, src_size);  // under AddressSanitizer, an overrun is reported here, in the kernel's frame
  std::memset(copy.data + src_size, 0, cp_size - src_size);
  launch.shared.async_issue(dst, cp_size, who);
  if (launch.traffic) {
    // A zero-size copy reads nothing, but its lane still takes its turn at the site: on a GPU it is the same
    // instruction as its neighbours' (predicated off), and skipping it would put this lane's next copy into the
    // request of another instruction.
    launch.traffic->count(detail::AccessKind::kCpAsyncRead, false, t.index, site, nullptr,
                          reinterpret_cast<std::uintptr_t>(src), static_cast<std::size_t>(src_size));
    launch.traffic->count(detail::AccessKind::kCpAsyncWrite, true, t.index, site, nullptr, dst,
                          static_cast<std::size_t>(cp_size));
  }
  t.open_copies.push_back(copy);
}

void cp_async_commit_group(Site site) {
  Thread& t = current_thread("cp.async.commit_group", site);
  t.copy_groups.push_back(std::move(t.open_copies));
  t.open_copies.clear();
}

void cp_async_wait_group(int pending, Site site) {
  Thread& t = current_thread("cp.async.wait_group", site);
  if (pending < 0) detail::fail(Finding::kLaunch, "cp.async.wait_group with a negative count", &t, site);
  detail::deliver_copies(t, static_cast<std::size_t>(pending));
}

namespace detail {

void deliver_copies(Thread& t, std::size_t keep) {
  Launch& launch = *current_launch();
  while (t.copy_groups.size() > keep) {
    for (const AsyncCopy& copy : t.copy_groups.front()) {
      const auto who = accessor(t, copy.site);
      std::memcpy(launch.shared.base() + copy.dst, copy.data, copy.bytes);
      launch.shared.async_deliver(copy.dst, copy.bytes, who);
    }
    t.copy_groups.pop_front();
  }
}

}  // namespace detail
}  // namespace cuda_emu

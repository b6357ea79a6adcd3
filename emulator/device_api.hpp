// What emulated device code calls: barriers and warp collectives, shared memory, and the PTX instructions the
// emulator implements, each as the PTX ISA defines it (the section is named beside each). Every function takes the
// Site of its caller, so that a finding names the kernel's own source line. Called outside an emulated kernel, each
// fails loudly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "emulator/site.hpp"

namespace cuda_emu {

// ---- threads, barriers, warps -------------------------------------------------------------------------------------

// __syncthreads (bar.sync 0): every thread of the block, none exited, at the same barrier.
void syncthreads(Site site = Site::current());
// __syncwarp(mask) (bar.warp.sync): the lanes of `mask`, each naming the same mask; orders their shared accesses.
void syncwarp(std::uint32_t mask, Site site = Site::current());

enum class Shuffle { kIndex, kDown, kUp, kXor };
// shfl.sync on 32-bit words: every lane of `mask` with the same mode; `lane_or_delta` and `width` as in
// __shfl_*_sync. Returns the word this lane receives (its own when the source is outside its segment).
std::uint32_t shfl(Shuffle mode, std::uint32_t mask, std::uint32_t value, int lane_or_delta, int width,
                   Site site = Site::current());

// __threadfence: the emulator runs one thread at a time, so every access is already seen in program order.
void threadfence();
// __trap: ends the launch with an error.
[[noreturn]] void trap(Site site = Site::current());
// __nanosleep: lets the other threads run (a spinning thread must yield somewhere).
void nanosleep(unsigned ns);
// An operation the emulator does not implement: ends the launch with an error that names it.
[[noreturn]] void unimplemented(const char* what, Site site = Site::current());

// The built-in index variables of the running thread; the scheduler sets them before it resumes a thread.
int lane_id();

// ---- shared memory --------------------------------------------------------------------------------------------------

// The block's dynamic shared memory (extern __shared__), aligned to `align` bytes.
unsigned char* dynamic_shared(std::size_t align);
// A static __shared__ variable of the block: the first call for `key` in a block allocates it, later calls (the other
// threads) get the same bytes.
void* static_shared(const void* key, std::size_t bytes, std::size_t align);
// __cvta_generic_to_shared: the shared-window address of a pointer into the block's shared memory.
std::uint32_t shared_address(const void* p, Site site = Site::current());

// ---- PTX: warp-level matrix instructions (sm_80)
// ---------------------------------------------------------------------

enum class MmaInput { kF16, kBF16 };
// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32 d, a, b, d ("Matrix Fragments for
// mma.m16n8k16 with floating point type"): every lane of the warp; fp32 accumulation of exact products.
void mma_m16n8k16(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2], MmaInput input,
                  Site site = Site::current());
// ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16 ("Warp-level matrix load instruction: ldmatrix"): every lane of
// the warp; lane 8i + r gives the address of row r of matrix i (16-byte aligned).
void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t address, bool trans, Site site = Site::current());

// ---- PTX: asynchronous copies (sm_80)
// --------------------------------------------------------------------------------

// cp.async.{ca,cg}.shared.global [dst], [src], cp_size, src_size ("cp.async"): copies src_size bytes and zero-fills
// the rest of cp_size (4, 8 or 16). The destination is undefined until a cp.async.wait_group retires the copy's
// group: the emulator writes it then, and reports any access before.
void cp_async(std::uint32_t dst, const void* src, int cp_size, int src_size, Site site = Site::current());
// cp.async.commit_group: the thread's copies issued since the last commit form one group.
void cp_async_commit_group(Site site = Site::current());
// cp.async.wait_group N: waits until at most N of the thread's most recent groups are pending.
void cp_async_wait_group(int pending, Site site = Site::current());
// createpolicy.fractional.L2::evict_first: an opaque cache policy (cache hints have no effect on values).
std::uint64_t create_policy_evict_first();

// ---- special registers --------------------------------------------------------------------------------------------

std::uint32_t smid();         // %smid: the SM the block is placed on (its index modulo the device's SM count)
std::uint64_t clock64();      // %clock64: a counter that grows by one at every read, per thread
std::uint64_t globaltimer();  // %globaltimer: nanoseconds of the host's steady clock

}  // namespace cuda_emu

// What a translation unit of kernels/ is compiled for, and the declarations that differ between targets. Two targets
// compile kernel bodies: nvcc's device passes (one per architecture), and the emulator (DESIGN.md section 7), which
// compiles the same files as host C++ with emulator/cuda_shim.hpp force-included and runs the bodies on the CPU.
// nvcc's host pass compiles launch code only (kernel bodies become launch stubs). Any other compile is a mistake that
// would silently produce empty kernels, so it stops here.
//
// Kernel bodies are guarded by what they need, never by __CUDA_ARCH__ itself:
//   #if BENCH_LLAMA_SM80_DEVICE     mma.sync, ldmatrix, cp.async (sm_80 and newer; emulated)
//   #if BENCH_LLAMA_SM90A_DEVICE    wgmma, TMA, mbarrier, clusters, setmaxnreg (sm_90a only; not emulated yet)
// and end with `#else BENCH_LLAMA_BODY_NOT_BUILT(...)`, which is nothing on a device (a kernel an architecture does
// not build is never launched there: supports() refuses it) and a loud failure under the emulator.
#pragma once

#if defined(CUDA_EMU)
#define BENCH_LLAMA_SM80_DEVICE 1
#define BENCH_LLAMA_SM90A_DEVICE 0
#define BENCH_LLAMA_BODY_NOT_BUILT(what) ::cuda_emu::unimplemented(what)
#elif defined(__CUDA_ARCH__)
#define BENCH_LLAMA_SM80_DEVICE (__CUDA_ARCH__ >= 800)
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define BENCH_LLAMA_SM90A_DEVICE 1
#else
#define BENCH_LLAMA_SM90A_DEVICE 0
#endif
#define BENCH_LLAMA_BODY_NOT_BUILT(what)
#elif defined(__CUDACC__)
#define BENCH_LLAMA_SM80_DEVICE 0
#define BENCH_LLAMA_SM90A_DEVICE 0
#define BENCH_LLAMA_BODY_NOT_BUILT(what)
#else
#error "kernels/ is device code: compile it with nvcc, or as host C++ for the emulator (emulator/cuda_shim.hpp)"
#endif

// Shared memory. A block's dynamic shared memory, `name` an unsigned char array aligned to `align` bytes:
//   BENCH_LLAMA_DYNAMIC_SHARED(smem, 128);
// A static shared variable of type `type` (an array type too: BENCH_LLAMA_STATIC_SHARED(float[8][32], sums)):
//   BENCH_LLAMA_STATIC_SHARED(type, name);
// Under the emulator both come from the block's emulated shared memory, which checks every access.
#if defined(CUDA_EMU)
#define BENCH_LLAMA_DYNAMIC_SHARED(name, align) unsigned char* const name = ::cuda_emu::dynamic_shared(align)
#define BENCH_LLAMA_STATIC_SHARED(type, name) \
  using name##_type = type;                   \
  static const char name##_key = 0;           \
  name##_type& name =                         \
      *static_cast<name##_type*>(::cuda_emu::static_shared(&name##_key, sizeof(name##_type), alignof(name##_type)))
#else
#define BENCH_LLAMA_DYNAMIC_SHARED(name, align) \
  extern __shared__ __align__(align)            \
  unsigned char name[]
#define BENCH_LLAMA_STATIC_SHARED(type, name) \
  using name##_type = type;                   \
  __shared__ name##_type name
#endif

// The source place of the caller of a PTX wrapper, for the emulator's findings: a defaulted last parameter that is
// nothing in a device compile. A wrapper declares `BENCH_LLAMA_SITE` after its last parameter and passes
// `BENCH_LLAMA_SITE_ARG` on to the emulator.
// A wrapper without other parameters declares BENCH_LLAMA_SITE_ONLY instead.
#if defined(CUDA_EMU)
#define BENCH_LLAMA_SITE , ::cuda_emu::Site site = ::cuda_emu::Site::current()
#define BENCH_LLAMA_SITE_ONLY ::cuda_emu::Site site = ::cuda_emu::Site::current()
#define BENCH_LLAMA_SITE_ARG site
#else
#define BENCH_LLAMA_SITE
#define BENCH_LLAMA_SITE_ONLY
#endif

#include "bench/gpu/cublas_api.hpp"

#include <dlfcn.h>

#include "bench/app/device_kind.hpp"
#include "bench/gpu/cuda_check.hpp"
#include "bench/gpu/cuda_library.hpp"

#ifndef BENCH_LLAMA_CUBLAS_SONAME
#error "BENCH_LLAMA_CUBLAS_SONAME (libcublas.so.<cuBLAS major>) comes from bench/CMakeLists.txt"
#endif

#ifndef BENCH_LLAMA_CUBLAS_DIR
#define BENCH_LLAMA_CUBLAS_DIR ""
#endif

// cublas_v2.h names most functions by macro (cublasCreate is cublasCreate_v2): the symbol to look up is the expansion.
#define BENCH_LLAMA_SYMBOL_NAME(fn) BENCH_LLAMA_SYMBOL_TEXT(fn)
#define BENCH_LLAMA_SYMBOL_TEXT(fn) #fn

namespace bench {
namespace {

#if defined(BENCH_LLAMA_EMULATED_DEVICE)
// The emulator's stand-ins are linked in: bind them.
#define BENCH_LLAMA_BIND(fn, slot) a.slot = &fn
#else
#define BENCH_LLAMA_BIND(fn, slot) bind(lib, BENCH_LLAMA_SYMBOL_NAME(fn), a.slot, missing)

template <class Fn>
void bind(void* lib, const char* name, Fn& slot, std::string& missing) {
  slot = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!slot && missing.empty()) missing = name;
}
#endif

// Binds every function of the API; `missing` gets the first that `lib` lacks.
void bind_all([[maybe_unused]] void* lib, CublasApi& a, [[maybe_unused]] std::string& missing) {
  BENCH_LLAMA_BIND(cublasCreate, Create);
  BENCH_LLAMA_BIND(cublasDestroy, Destroy);
  BENCH_LLAMA_BIND(cublasSetStream, SetStream);
  BENCH_LLAMA_BIND(cublasSetWorkspace, SetWorkspace);
  BENCH_LLAMA_BIND(cublasGetProperty, GetProperty);
  BENCH_LLAMA_BIND(cublasGetStatusName, GetStatusName);
  BENCH_LLAMA_BIND(cublasGetStatusString, GetStatusString);
  BENCH_LLAMA_BIND(cublasGemmEx, GemmEx);
  BENCH_LLAMA_BIND(cublasGemmBatchedEx, GemmBatchedEx);
}

struct Loaded {
  CublasApi api;
  std::string why;  // empty when loaded
};

Loaded load() {
  Loaded loaded;
  if (kEmulatedDevice) {
    std::string unused;
    bind_all(nullptr, loaded.api, unused);
    return loaded;
  }
  std::string candidate, tried;
  void* lib = open_cuda_library(cublas_candidates(), &candidate, &tried);
  std::string missing;
  if (lib) bind_all(lib, loaded.api, missing);
  if (!lib) {
    loaded.why = std::string("cuBLAS (") + BENCH_LLAMA_CUBLAS_SONAME + ") not found or not loadable (tried " + tried +
                 "); install the CUDA Toolkit's cuBLAS, or add the folder that holds it, e.g. /usr/local/cuda/lib64, "
                 "to LD_LIBRARY_PATH";
  } else if (!missing.empty()) {
    loaded.why = candidate + " lacks " + missing + " (a cuBLAS older than the one bench_llama was built with, " +
                 BENCH_LLAMA_CUBLAS_SONAME + "); point LD_LIBRARY_PATH at that cuBLAS or a newer one";
  }
  return loaded;
}

}  // namespace

std::vector<std::string> cublas_candidates() {
  return cuda_library_candidates(BENCH_LLAMA_CUBLAS_SONAME, BENCH_LLAMA_CUBLAS_DIR,
                                 {"/lib64", "/targets/x86_64-linux/lib", "/lib"});
}

const CublasApi& cublas_api() {
  static const Loaded loaded = load();
  if (!loaded.why.empty()) throw CudaError(loaded.why, false);
  return loaded.api;
}

}  // namespace bench

// Element types the kernels take. kernels/ depends on nothing of the project, so it has its own small enum;
// bench/ maps roofline::Dtype onto it.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace kernels {

enum class Element { kF16, kBF16, kF32 };

inline int element_bytes(Element e) { return e == Element::kF32 ? 4 : 2; }

}  // namespace kernels

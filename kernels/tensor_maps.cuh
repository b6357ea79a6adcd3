// The Hopper GEMMs' host side: 4-D tensor maps over (batch, head) matrices for TMA, encoded through the driver's
// cuTensorMapEncodeTiled, with a per-thread cache of the last problem's maps, and the layout rules supports() checks.
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

#include "kernels/gemm_args.cuh"

namespace kernels::wgmma {

// cuTensorMapEncodeTiled, from the driver through the runtime (no link against libcuda).
inline PFN_cuTensorMapEncodeTiled_v12000 encode_function() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult status{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &status) !=
            cudaSuccess ||
        status != cudaDriverEntryPointSuccess) {
      f = nullptr;
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  }();
  return fn;
}

// The order of an operand's 4-D tensor map, innermost first. Attention's [b, s, n, d] tensors have their heads inside
// a row (head stride below the row stride): (col, head, row, batch). The scores [b, n, s, s] that pv reads have their
// rows inside a head: (col, row, head, batch). A plain matrix (one head) takes the first.
inline bool rows_in_head(const MatrixArg& m, std::int64_t heads) {
  return (heads + m.head_group - 1) / m.head_group > 1 && m.head_stride > m.ld;
}

// A 4-D map over an operand stored with `cols` contiguous, boxes of box_cols x box_rows, 128-byte swizzle (box_cols
// must be 64 16-bit elements), zero fill out of range (the copy still completes the whole box's bytes).
inline bool encode(CUtensorMap* map, const MatrixArg& m, std::int64_t rows, std::int64_t cols, std::int64_t heads,
                   std::int64_t batch, Element element, int box_cols, int box_rows) {
  const auto fn = encode_function();
  if (!fn) return false;
  const std::int64_t distinct_heads = (heads + m.head_group - 1) / m.head_group;
  cuuint64_t dims[4], strides[3];
  cuuint32_t box[4];
  // Byte strides of dims 1..3; a dimension of size 1 gets a stride that keeps them increasing, as TMA wants.
  if (!rows_in_head(m, heads)) {
    const std::int64_t head_bytes = distinct_heads > 1 ? 2 * m.head_stride : 2 * cols;
    const std::int64_t batch_bytes = batch > 1 ? 2 * m.batch_stride : 2 * m.ld * rows;
    dims[0] = cols, dims[1] = distinct_heads, dims[2] = rows, dims[3] = batch;
    strides[0] = (head_bytes + 15) / 16 * 16, strides[1] = 2 * m.ld, strides[2] = batch_bytes;
    box[0] = box_cols, box[1] = 1, box[2] = box_rows, box[3] = 1;
  } else {
    const std::int64_t batch_bytes = batch > 1 ? 2 * m.batch_stride : 2 * m.head_stride * distinct_heads;
    dims[0] = cols, dims[1] = rows, dims[2] = distinct_heads, dims[3] = batch;
    strides[0] = 2 * m.ld, strides[1] = 2 * m.head_stride, strides[2] = batch_bytes;
    box[0] = box_cols, box[1] = box_rows, box[2] = 1, box[3] = 1;
  }
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  const CUresult result =
      fn(map, element == Element::kF16 ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 4, m.data,
         dims, strides, box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
         CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return result == CUDA_SUCCESS;
}

// Whether an operand's strides grow in its map's order (k, then head or row, then the other, then batch), as the
// tensor map needs. `rows_in_head_ok`: false for a kernel that takes only the (k, head, row, batch) order.
inline bool strides_grow(const MatrixArg& m, std::int64_t rows, std::int64_t heads, std::int64_t batch,
                         bool rows_in_head_ok) {
  const std::int64_t distinct_heads = (heads + m.head_group - 1) / m.head_group;
  if (rows_in_head(m, heads)) {
    if (!rows_in_head_ok || m.head_stride < m.ld * rows) return false;
    return batch <= 1 || m.batch_stride >= m.head_stride * distinct_heads;
  }
  return batch <= 1 || m.batch_stride >= m.ld * rows;
}

// Encoding a tensor map is a driver call on the host, at every launch it would cost microseconds between back-to-back
// launches; the harness launches one problem many times in a row, so the maps of the last problem are kept and encoded
// again only when their key (the arguments they depend on) changes. One cache per host thread and per `encode` type:
// the callers below pass a lambda of their caller's, so each variant gets its own.
template <class Key, class Maps, class Encode>
bool last_encoded(const Key& key, Maps* maps, Encode encode) {
  thread_local std::optional<std::pair<Key, Maps>> last;
  if (!last || last->first != key) {
    last.reset();
    Maps fresh{};
    if (!encode(&fresh)) return false;
    last.emplace(key, fresh);
  }
  *maps = last->second;
  return true;
}

// A's and B's maps.
template <class EncodeBoth>
bool cached_tensor_maps(const GemmArgs& p, CUtensorMap* map_a, CUtensorMap* map_b, EncodeBoth encode_both) {
  struct Maps {
    CUtensorMap a, b;
  };
  Maps maps;
  const auto key = std::make_tuple(p.a.data, p.a.ld, p.a.batch_stride, p.a.head_stride, p.a.head_group, p.b.data,
                                   p.b.ld, p.b.batch_stride, p.b.head_stride, p.b.head_group, p.m, p.n, p.k, p.heads,
                                   p.batch, p.element, p.b_transposed);
  if (!last_encoded(key, &maps, [&](Maps* m) { return encode_both(p, &m->a, &m->b); })) return false;
  *map_a = maps.a;
  *map_b = maps.b;
  return true;
}

// The map a TMA-store epilogue writes C through.
template <class EncodeC>
bool cached_output_map(const GemmArgs& p, CUtensorMap* map_c, EncodeC encode_c) {
  const auto key = std::make_tuple(p.c.data, p.c.ld, p.c.batch_stride, p.c.head_stride, p.c.head_group, p.m, p.n,
                                   p.heads, p.batch, p.element);
  return last_encoded(key, map_c, [&](CUtensorMap* c) { return encode_c(p, c); });
}

}  // namespace kernels::wgmma

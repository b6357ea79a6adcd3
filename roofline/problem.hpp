// The shape of one operator at one setting, as a (batched) GEMM over row-major operands.
// Plain C++: roofline/ never includes a CUDA header (docs/architecture.md).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace roofline {

// A setting so large that its FLOPs or bytes do not fit in 64 bits (b = 4096, s = 2^20 for attention, say).
class SizeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// a * b * ... and a + b + ..., throwing SizeError instead of overflowing 64 bits: the counts of a huge setting must be
// an error, not garbage.
std::int64_t checked_product(std::initializer_list<std::int64_t> factors);
std::int64_t checked_sum(std::initializer_list<std::int64_t> terms);

enum class Dtype { kF16, kBF16 };

const char* dtype_name(Dtype dtype);
int dtype_bytes(Dtype dtype);
// Parses "fp16" or "bf16"; returns false for anything else.
bool parse_dtype(const std::string& text, Dtype* out);

// Prefill ("init") and decode ("ar", auto-regressive), as in the reference figure; and the Medusa decoding step
// ("medusa"), which verifies several candidate tokens per sequence at once (the paper's sibling figures).
enum class Phase { kInit, kAr, kMedusa };

const char* phase_name(Phase phase);
bool parse_phase(const std::string& text, Phase* out);

// How the second operand is stored. Linears hold W as [N x K] (nn.Linear) and compute Y = X * W^T ("nt");
// pv reads V as [K x N] and computes O = P * V ("nn").
enum class BLayout { kNT, kNN };

const char* b_layout_name(BLayout layout);

// One operand of a batched GEMM. Element (r, c) of matrix (batch i, head h) lives at
//   base + i * batch_stride + (h / head_group) * head_stride + r * ld + c      (row-major, elements).
// head_group > 1 means several heads share one matrix (grouped-query attention: the KV heads).
// `count` is how many distinct matrices the operand holds, which is what its minimum bytes count.
struct Operand {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t ld = 0;
  std::int64_t batch_stride = 0;
  std::int64_t head_stride = 0;
  std::int64_t head_group = 1;
  std::int64_t count = 1;

  // Elements of all its distinct matrices (what its minimum bytes count). Throws SizeError on overflow.
  std::int64_t elements() const;
  // The extent (in elements) of the buffer that holds every matrix of this operand. Throws SizeError on overflow.
  std::int64_t buffer_elements(std::int64_t batch, std::int64_t heads) const;
};

// C[M x N] = A[M x K] * op(B), for every (batch, head). Linears have batch = heads = 1 (M = b*s or b).
struct GemmProblem {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t batch = 1;  // outer batch (the model's b for attention)
  std::int64_t heads = 1;  // inner batch (attention heads)
  BLayout b_layout = BLayout::kNT;
  Dtype dtype = Dtype::kF16;
  Operand a;
  Operand b;
  Operand c;

  std::int64_t batch_count() const { return batch * heads; }
  // A stable text key: two problems with the same key are the same measurement.
  std::string key() const;
};

}  // namespace roofline

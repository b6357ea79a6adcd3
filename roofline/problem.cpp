#include "roofline/problem.hpp"

#include <sstream>

namespace roofline {

const char* dtype_name(Dtype dtype) { return dtype == Dtype::kF16 ? "fp16" : "bf16"; }

int dtype_bytes(Dtype) { return 2; }

bool parse_dtype(const std::string& text, Dtype* out) {
  if (text == "fp16") {
    *out = Dtype::kF16;
    return true;
  }
  if (text == "bf16") {
    *out = Dtype::kBF16;
    return true;
  }
  return false;
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kInit:
      return "init";
    case Phase::kAr:
      return "ar";
    case Phase::kMedusa:
      return "medusa";
  }
  return "?";
}

bool parse_phase(const std::string& text, Phase* out) {
  if (text == "init") {
    *out = Phase::kInit;
    return true;
  }
  if (text == "ar") {
    *out = Phase::kAr;
    return true;
  }
  if (text == "medusa") {
    *out = Phase::kMedusa;
    return true;
  }
  return false;
}

const char* b_layout_name(BLayout layout) { return layout == BLayout::kNT ? "nt" : "nn"; }

std::int64_t checked_product(std::initializer_list<std::int64_t> factors) {
  std::int64_t result = 1;
  for (std::int64_t f : factors) {
    if (__builtin_mul_overflow(result, f, &result)) {
      throw SizeError("a setting of this sweep is too large to count in 64 bits; use smaller --batch or --seq");
    }
  }
  return result;
}

std::int64_t checked_sum(std::initializer_list<std::int64_t> terms) {
  std::int64_t result = 0;
  for (std::int64_t t : terms) {
    if (__builtin_add_overflow(result, t, &result)) {
      throw SizeError("a setting of this sweep is too large to count in 64 bits; use smaller --batch or --seq");
    }
  }
  return result;
}

std::int64_t Operand::elements() const { return checked_product({rows, cols, count}); }

std::int64_t Operand::buffer_elements(std::int64_t batch, std::int64_t heads) const {
  // The last element of the last matrix, plus one. Strides can interleave heads (ld > cols), so the extent is
  // computed from the addressing formula rather than from rows * cols * count.
  const std::int64_t last_head = (heads - 1) / head_group;
  return checked_sum({checked_product({batch - 1, batch_stride}), checked_product({last_head, head_stride}),
                      checked_product({rows - 1, ld}), cols});
}

std::string GemmProblem::key() const {
  std::ostringstream out;
  out << m << 'x' << n << 'x' << k << " b" << batch << " h" << heads << ' ' << b_layout_name(b_layout) << ' '
      << dtype_name(dtype);
  for (const Operand* op : {&a, &b, &c}) {
    out << " [" << op->ld << ',' << op->batch_stride << ',' << op->head_stride << ',' << op->head_group << ']';
  }
  return out.str();
}

}  // namespace roofline

#include "roofline/roofline_math.hpp"

#include <algorithm>
#include <stdexcept>

namespace roofline {

const char* bound_name(Bound bound) { return bound == Bound::kMemory ? "memory" : "compute"; }

double ridge_point(const Roof& roof) {
  if (!roof.valid()) throw std::invalid_argument("ridge_point: the roof needs positive FLOP/s and bytes/s");
  return roof.flops_per_s / roof.bytes_per_s;
}

double attainable(const Roof& roof, double intensity) {
  if (!roof.valid()) throw std::invalid_argument("attainable: the roof needs positive FLOP/s and bytes/s");
  return std::min(roof.flops_per_s, intensity * roof.bytes_per_s);
}

Bound bound_at(const Roof& roof, double intensity) {
  return intensity < ridge_point(roof) ? Bound::kMemory : Bound::kCompute;
}

double roof_fraction(const Roof& roof, double intensity, double achieved_flops_per_s) {
  const double limit = attainable(roof, intensity);
  return limit > 0 ? achieved_flops_per_s / limit : 0;
}

}  // namespace roofline

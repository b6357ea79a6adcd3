// Roofline math: attainable performance under a bandwidth diagonal and a compute roof.
#pragma once

#include <string>

namespace roofline {

struct Roof {
  double flops_per_s = 0;  // compute roof
  double bytes_per_s = 0;  // bandwidth diagonal
  bool valid() const { return flops_per_s > 0 && bytes_per_s > 0; }
};

enum class Bound { kMemory, kCompute };

const char* bound_name(Bound bound);

// Intensity (FLOP/byte) where the diagonal meets the roof.
double ridge_point(const Roof& roof);
// min(roof, intensity * bandwidth), in FLOP/s.
double attainable(const Roof& roof, double intensity);
// Memory-bound left of the ridge, compute-bound at and right of it.
Bound bound_at(const Roof& roof, double intensity);
// achieved / attainable at that intensity (1.0 = on the roof).
double roof_fraction(const Roof& roof, double intensity, double achieved_flops_per_s);

}  // namespace roofline

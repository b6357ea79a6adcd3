#include "roofline/roofline_math.hpp"

#include <gtest/gtest.h>

namespace roofline {
namespace {

TEST(RooflineMath, AttainableRidgeBoundFraction) {
  const Roof roof{100e12, 1e12};  // ridge at 100 FLOP/B
  EXPECT_DOUBLE_EQ(ridge_point(roof), 100);
  EXPECT_DOUBLE_EQ(attainable(roof, 10), 10e12);
  EXPECT_DOUBLE_EQ(attainable(roof, 100), 100e12);
  EXPECT_DOUBLE_EQ(attainable(roof, 1000), 100e12);
  EXPECT_EQ(bound_at(roof, 99.9), Bound::kMemory);
  EXPECT_EQ(bound_at(roof, 100), Bound::kCompute);
  EXPECT_DOUBLE_EQ(roof_fraction(roof, 10, 5e12), 0.5);
  EXPECT_DOUBLE_EQ(roof_fraction(roof, 1000, 90e12), 0.9);
  EXPECT_STREQ(bound_name(Bound::kMemory), "memory");
}

TEST(RooflineMath, RejectsAnEmptyRoof) {
  EXPECT_THROW(ridge_point(Roof{}), std::invalid_argument);
  EXPECT_THROW(attainable(Roof{1e12, 0}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace roofline

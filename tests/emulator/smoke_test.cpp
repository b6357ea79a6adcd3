#include <gtest/gtest.h>

#include "emulator/emulator.hpp"

TEST(Emulator, Links) { EXPECT_EQ(cuda_emu::device().sm, 80); }

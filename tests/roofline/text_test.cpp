#include "roofline/text.hpp"

#include <gtest/gtest.h>

namespace roofline {
namespace {

TEST(Text, PrintableTextStaysAsItIs) {
  EXPECT_EQ(printable("config.json: field \"hidden_size\" must be positive"),
            "config.json: field \"hidden_size\" must be positive");
  EXPECT_EQ(printable("/home/jos\xC3\xA9/\xE2\x82\xAC/config.json"), "/home/jos\xC3\xA9/\xE2\x82\xAC/config.json");
}

TEST(Text, BytesThatAreNotPrintableAreEscaped) {
  EXPECT_EQ(printable(std::string("\x7F"
                                  "ELF\x02\x01\x00\xFF\xFE",
                                  9)),
            "\\x7FELF\\x02\\x01\\x00\\xFF\\xFE");
  EXPECT_EQ(printable("a\nb\rc\td\x1B[31m"), "a\\x0Ab\\x0Dc\\x09d\\x1B[31m");
  EXPECT_EQ(printable("\xC3"), "\\xC3");                    // a truncated sequence
  EXPECT_EQ(printable("\xC0\xAF"), "\\xC0\\xAF");           // overlong '/'
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(printable("\xC2\x85"), "\\xC2\\x85");           // a C1 control character (NEL)
}

}  // namespace
}  // namespace roofline

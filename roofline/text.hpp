// Text from outside (a config file's bytes, a path, a model's name) made safe to print on one terminal line.
#pragma once

#include <string>

namespace roofline {

// `text` with every byte that is not printable escaped as \xNN: control characters (newlines included), DEL, and
// bytes that are not part of valid UTF-8. Printable ASCII and valid UTF-8 characters (an accented path) stay as they
// are.
std::string printable(const std::string& text);

}  // namespace roofline

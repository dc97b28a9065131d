// Plain base64 and base64url decoders for tests, written independently of
// the code under test (core/oauth/encoding) so they can check its output.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace mcpauth::testing {

// Standard base64 (RFC 4648 §4); padding ends the input. A character outside
// the alphabet fails the test and yields "".
inline std::string decode_base64(std::string_view in) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto index = alphabet.find(c);
    if (index == std::string_view::npos) {
      ADD_FAILURE() << "not base64: " << c;
      return {};
    }
    buffer = (buffer << 6) | static_cast<unsigned>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

// base64url (RFC 4648 §5): the URL-safe alphabet, padding optional.
inline std::string decode_base64url(std::string in) {
  for (auto& c : in) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return decode_base64(in);
}

}  // namespace mcpauth::testing

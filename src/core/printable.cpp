#include "mcpauth/core/printable.hpp"

#include <algorithm>
#include <array>

namespace mcpauth::core {
namespace {

void append_hex_escape(std::string& out, const char* prefix, unsigned value, int digits) {
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xfu]);
}

// Length of the well-formed UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  // Overlong forms, surrogates and code points above U+10FFFF.
  if (lead == 0xe0 && byte(i + 1) < 0xa0) return 0;
  if (lead == 0xed && byte(i + 1) > 0x9f) return 0;
  if (lead == 0xf0 && byte(i + 1) < 0x90) return 0;
  if (lead == 0xf4 && byte(i + 1) > 0x8f) return 0;
  return length;
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes, LineBreaks line_breaks) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    if (c >= 0x80) length = utf8_length(text, i);
    if (i + std::max<std::size_t>(length, 1) > max_bytes) break;
    if ((c == '\n' || c == '\t') && line_breaks == LineBreaks::keep) {
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      append_hex_escape(out, "\\x", c, 2);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (length == 0) {
      append_hex_escape(out, "\\x", c, 2);
      length = 1;
    } else if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {  // C1 controls, CSI among them
      append_hex_escape(out, "\\u", static_cast<unsigned char>(text[i + 1]), 4);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace mcpauth::core

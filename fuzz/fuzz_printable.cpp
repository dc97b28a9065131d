// core::printable, the one sanitizer for server text that is printed or
// logged. The first byte picks the cap ((value % 4) * 37 bytes, 0 meaning no
// cap) and whether line breaks are kept (top bit); the rest is the server's
// text. The output must hold no C0 control (but LF and TAB when kept), no DEL,
// no C1 control and no byte sequence that is not valid UTF-8: nothing a
// terminal acts on gets through, however the input is built.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcpauth/core/printable.hpp"

namespace core = mcpauth::core;

namespace {

[[noreturn]] void fail(const char* what, const std::string& output) {
  std::fprintf(stderr, "fuzz_printable: %s in output of %zu bytes\n", what, output.size());
  std::abort();
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not a valid one.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  std::size_t n = 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) n = 2;
  if (b >= 0xE0 && b <= 0xEF) n = 3;
  if (b >= 0xF0 && b <= 0xF4) n = 4;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cap = (data[0] % 4) * 37;
  const bool keep = (data[0] & 0x80) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string out = core::printable(text, cap == 0 ? core::kNoLengthCap : cap,
                                          keep ? core::LineBreaks::keep : core::LineBreaks::escape);
  for (std::size_t i = 0; i < out.size();) {
    const auto b = static_cast<unsigned char>(out[i]);
    if (b < 0x20 && !(keep && (b == '\n' || b == '\t'))) fail("a C0 control", out);
    if (b == 0x7f) fail("DEL", out);
    const std::size_t n = utf8_length(out, i);
    if (n == 0) fail("invalid UTF-8", out);
    if (n == 2 && b == 0xC2 && static_cast<unsigned char>(out[i + 1]) <= 0x9F) fail("a C1 control", out);
    i += n;
  }
  if (cap != 0 && out.size() > cap * 4 + 3) fail("more than the cap allows, escaped", out);
  return 0;
}

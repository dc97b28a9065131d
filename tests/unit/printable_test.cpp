// core::printable: the one sanitizer for server-supplied text that is printed or logged.
#include "mcpauth/core/printable.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mcpauth/core/oauth/describe_error.hpp"

namespace mcpauth::core {
namespace {

using namespace std::string_literals;

bool has_control(const std::string& text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return text.find("\xc2\x9b") != std::string::npos || text.find("\xc2\x85") != std::string::npos;
}

TEST(Printable, PlainTextAndUtf8PassUnchanged) {
  EXPECT_EQ(printable("get_weather"), "get_weather");
  EXPECT_EQ(printable("Grüße, 天气 🌤"), "Grüße, 天气 🌤");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, ControlCharactersAreEscapedVisibly) {
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("line\r\nforged"), "line\\r\\nforged");
  EXPECT_EQ(printable("nul\0here"s), "nul\\x00here");
  EXPECT_EQ(printable("tab\tdel\x7f"), "tab\\tdel\\x7f");
  EXPECT_EQ(printable("csi\xc2\x9b"
                      "2J"),
            "csi\\u009b2J");  // the 8-bit CSI as UTF-8
  EXPECT_EQ(printable("nel\xc2\x85"), "nel\\u0085");
}

TEST(Printable, InvalidUtf8IsEscapedBytewise) {
  EXPECT_EQ(printable("a\xff"
                      "b"),
            "a\\xffb");
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");  // truncated sequence
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");  // overlong '/'
}

TEST(Printable, LineBreaksKeptOnlyWhenAskedButOtherControlsStillEscaped) {
  EXPECT_EQ(printable("one\ntwo\tthree\r\x1b[K", kNoLengthCap, LineBreaks::keep), "one\ntwo\tthree\\r\\x1b[K");
}

TEST(Printable, CapsTheLengthWithoutSplittingACharacter) {
  EXPECT_EQ(printable("abcdef", 3), "abc...");
  EXPECT_EQ(printable("abc", 3), "abc");
  EXPECT_EQ(printable("ab\xc3\xa9", 3), "ab...");  // é would straddle the cap
  EXPECT_EQ(printable(std::string(10'000, 'x'), 300).size(), 303u);
}

TEST(Printable, IsIdempotentSoTwoSinksDoNotDoubleEscape) {
  const std::string once = printable("\x1b]0;title\x07\r\n\0"s);
  EXPECT_FALSE(has_control(once));
  EXPECT_EQ(printable(once), once);
}

TEST(DescribeOAuthError, OneFunctionCapsAndSanitizesBothFields) {
  const std::string text = oauth::describe_oauth_error("invalid_grant\x1b[2J", "line one\r\n2026-01-01 forged\0"s);
  EXPECT_EQ(text, "invalid_grant\\x1b[2J (line one\\r\\n2026-01-01 forged\\x00)");
  EXPECT_FALSE(has_control(text));
  const std::string long_text = oauth::describe_oauth_error(std::string(500, 'e'), std::string(5000, 'd'));
  EXPECT_EQ(long_text, std::string(100, 'e') + "... (" + std::string(300, 'd') + "...)");
  EXPECT_EQ(oauth::describe_oauth_error("access_denied", ""), "access_denied");
}

}  // namespace
}  // namespace mcpauth::core

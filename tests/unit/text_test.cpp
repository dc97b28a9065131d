// The core text helpers every layer shares (core/text.hpp).
#include "mcpauth/core/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace {

using namespace mcpauth::core;

TEST(TextLower, FoldsAsciiOnly) {
  EXPECT_EQ(lower("Content-TYPE"), "content-type");
  EXPECT_EQ(lower(""), "");
  EXPECT_EQ(lower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // UTF-8 bytes are left alone
  EXPECT_EQ(lower(std::string("A\0B", 3)), std::string("a\0b", 3));
}

TEST(TextIequals, IgnoresAsciiCaseAndComparesLength) {
  using Pair = std::pair<std::string, std::string>;
  for (const auto& [a, b] : {Pair{"Bearer", "bearer"}, Pair{"DPoP", "dpop"}, Pair{"", ""}}) {
    EXPECT_TRUE(iequals(a, b)) << a << " / " << b;
  }
  // The last pair: no Unicode case folding.
  for (const auto& [a, b] : {Pair{"Bearer", "Bearer "}, Pair{"bearer", "beerer"}, Pair{"\xC3\x89", "\xC3\xA9"}}) {
    EXPECT_FALSE(iequals(a, b)) << a << " / " << b;
  }
}

TEST(TextToken, Rfc9110Tchars) {
  for (const char c : std::string("!#$%&'*+-.^_`|~09azAZ"))
    EXPECT_TRUE(is_token_char(static_cast<unsigned char>(c))) << c;
  for (const char c : std::string(" \t\"(),/:;<=>?@[\\]{}\x7f")) {
    EXPECT_FALSE(is_token_char(static_cast<unsigned char>(c))) << static_cast<int>(c);
  }
  EXPECT_FALSE(is_token_char(0));
  EXPECT_FALSE(is_token_char(0xC3));
  EXPECT_TRUE(is_token("X-Api-Key"));
  EXPECT_TRUE(is_token("!"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("Authorization: Bearer"));
  EXPECT_FALSE(is_token(std::string("X\0Y", 3)));
}

TEST(TextMediaType, LowerCaseWithoutParametersOrSpace) {
  EXPECT_EQ(media_type("application/json"), "application/json");
  EXPECT_EQ(media_type("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type(" text/event-stream ;charset=utf-8"), "text/event-stream");
  EXPECT_EQ(media_type("text / html"), "text/html");
  EXPECT_EQ(media_type(""), "");
  EXPECT_EQ(media_type(";q=1"), "");
}

TEST(TextExcerpt, OneLineCappedAndMarkedWhenCut) {
  EXPECT_EQ(excerpt("short", 10), "short");
  EXPECT_EQ(excerpt("0123456789abc", 10), "0123456789...");
  EXPECT_EQ(excerpt("0123456789", 10), "0123456789");
  EXPECT_EQ(excerpt("a\r\nb\tc\x1b[2J\x7f", 100), "a  b c [2J");
  EXPECT_EQ(excerpt("error   \n", 100), "error");
  EXPECT_EQ(excerpt("\n\n", 100), "");
  EXPECT_EQ(excerpt("", 100), "");
  EXPECT_EQ(excerpt("abc", 0), "...");
}

}  // namespace

namespace mcpauth::core {
namespace {

TEST(TextContains, MatchesWholeEntriesExactly) {
  const std::vector<std::string> scopes{"read", "offline_access"};
  EXPECT_TRUE(contains(scopes, "read"));
  EXPECT_TRUE(contains(scopes, "offline_access"));
  EXPECT_FALSE(contains(scopes, "Read"));
  EXPECT_FALSE(contains(scopes, "rea"));
  EXPECT_FALSE(contains({}, "read"));
}

}  // namespace
}  // namespace mcpauth::core

// core's randomness: the shapes the OAuth flow and the gateway rely on.
#include "mcpauth/core/random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace mcpauth::core {
namespace {

TEST(Random, TokenIs256BitsOfBase64url) {
  const std::string token = random_token();
  EXPECT_EQ(token.size(), 43u);  // 32 bytes, unpadded
  EXPECT_TRUE(std::all_of(token.begin(), token.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  })) << token;
}

TEST(Random, ValuesDoNotRepeat) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(random_token());
  EXPECT_EQ(tokens.size(), 100u);
  EXPECT_NE(random_bytes(), random_bytes());
}

}  // namespace
}  // namespace mcpauth::core

// The store's AEAD sealing and key parsing.
#include <gtest/gtest.h>

#include "../../src/store/cipher.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {
namespace {

TEST(StoreCipher, SealedValueOpensOnlyWithItsKeyAndContext) {
  const Key key = random_key();
  const std::string sealed = seal(key, "access-token-value", "tokens\nrow-a");
  EXPECT_EQ(sealed.find("access-token-value"), std::string::npos);
  EXPECT_EQ(unseal(key, sealed, "tokens\nrow-a"), "access-token-value");
  EXPECT_EQ(unseal(key, sealed, "tokens\nrow-b"), std::nullopt) << "a value moved to another row must not open";
  EXPECT_EQ(unseal(random_key(), sealed, "tokens\nrow-a"), std::nullopt);
}

TEST(StoreCipher, TamperedOrTruncatedValueDoesNotOpen) {
  const Key key = random_key();
  std::string sealed = seal(key, "secret", "ctx");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(unseal(key, bad, "ctx"), std::nullopt) << "byte " << i;
  }
  EXPECT_EQ(unseal(key, sealed.substr(0, sealed.size() - 1), "ctx"), std::nullopt);
  EXPECT_EQ(unseal(key, "", "ctx"), std::nullopt);
}

TEST(StoreCipher, EverySealUsesAFreshNonce) {
  const Key key = random_key();
  EXPECT_NE(seal(key, "same", "ctx"), seal(key, "same", "ctx"));
  EXPECT_EQ(unseal(key, seal(key, "", "ctx"), "ctx"), "");
}

TEST(StoreCipher, KeysParseFromBase64UrlBase64AndHex) {
  const Key key = random_key();
  const std::string text = encode_key(key);
  EXPECT_EQ(text.size(), 43u);
  EXPECT_EQ(parse_key(text, "test"), key);
  EXPECT_EQ(parse_key("  " + text + "\n", "test"), key);
  // RFC 4648 vector: 32 bytes 0x00..0x1f.
  Key counting{};
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(parse_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "test"), counting);
  EXPECT_EQ(parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test"), counting);
  EXPECT_EQ(parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "test"), counting);
}

TEST(StoreCipher, BadKeysAreRefusedWithoutEchoingThem) {
  for (const std::string bad : {"short", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",
                                "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAAA"}) {
    try {
      parse_key(bad, "MCPAUTH_KEY");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::usage);
      EXPECT_NE(std::string(e.what()).find("MCPAUTH_KEY"), std::string::npos);
      EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mcpauth::store::detail

// PKCE (RFC 7636) and the OAuth encodings: base64url, SHA-256, forms and
// HTTP Basic client credentials (core/oauth/pkce, core/oauth/encoding).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/core/oauth/pkce.hpp"
#include "mcpauth/error.hpp"
#include "reference_base64.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
using namespace mcpauth::core::oauth;

using mcpauth::testing::decode_base64;

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// ---- PKCE ------------------------------------------------------------------

TEST(OAuthPkce, Rfc7636AppendixBVector) {
  // The 32 octets of RFC 7636 Appendix B.
  const std::array<std::uint8_t, 32> octets = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                               125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                               191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
  const Pkce pkce = make_pkce(octets);
  EXPECT_EQ(pkce.verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  EXPECT_EQ(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(Pkce::method, "S256");
}

TEST(OAuthPkce, VerifierIs43CharactersOfTheAllowedCharset) {
  std::array<std::uint8_t, 32> bytes{};
  for (int round = 0; round < 8; ++round) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<std::uint8_t>(i * 37 + round * 101 + 255 * (i % 2));
    const Pkce pkce = make_pkce(bytes);
    ASSERT_EQ(pkce.verifier.size(), 43u);
    for (char c : pkce.verifier) EXPECT_TRUE(is_unreserved(c)) << pkce.verifier;
    EXPECT_EQ(pkce.challenge.size(), 43u);
    EXPECT_EQ(pkce.challenge, s256_challenge(pkce.verifier));
  }
  // All-0xff bytes produce '_' and '-' material, never '+' or '/'.
  bytes.fill(0xff);
  const Pkce high = make_pkce(bytes);
  EXPECT_EQ(high.verifier.find_first_of("+/="), std::string::npos);
}

TEST(OAuthPkce, LongerInputStaysWithin128Characters) {
  std::vector<std::uint8_t> bytes(200, 0xab);
  const Pkce pkce = make_pkce(bytes);
  EXPECT_GE(pkce.verifier.size(), 43u);
  EXPECT_LE(pkce.verifier.size(), 128u);
  for (char c : pkce.verifier) EXPECT_TRUE(is_unreserved(c));
}

// The library's one error type, with the code for a caller's mistake.
TEST(OAuthPkce, FewerThan32BytesThrows) {
  std::array<std::uint8_t, 31> short_bytes{};
  for (const auto bytes : {std::span<const std::uint8_t>(short_bytes), std::span<const std::uint8_t>()}) {
    try {
      make_pkce(bytes);
      ADD_FAILURE() << "no error for " << bytes.size() << " bytes";
    } catch (const mcpauth::Error& e) {
      EXPECT_EQ(e.code(), mcpauth::ErrorCode::usage);
    }
  }
}

// ---- base64 / sha256 -------------------------------------------------------

TEST(OAuthEncoding, Base64UrlHasNoPaddingPlusOrSlash) {
  EXPECT_EQ(base64url(std::string_view("")), "");
  EXPECT_EQ(base64url(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url(std::string_view("\xfb\xff\xbf", 3)), "-_-_");  // standard: +/+/
  EXPECT_EQ(base64url(std::string_view("\xfb\xff", 2)), "-_8");       // standard: +/8=
  const std::array<std::uint8_t, 3> bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url(std::span<const std::uint8_t>(bytes)), "-_-_");
}

TEST(OAuthEncoding, Base64IsStandardAndPadded) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string_view("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(base64(std::string_view("a\0b", 3)), "YQBi");
}

TEST(OAuthEncoding, Sha256KnownVector) {
  const std::string digest = sha256("abc");
  ASSERT_EQ(digest.size(), 32u);
  EXPECT_EQ(base64url(digest), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

// ---- forms -----------------------------------------------------------------

TEST(OAuthEncoding, FormEscapeLeavesOnlyUnreservedCharacters) {
  EXPECT_EQ(form_escape("aZ09-._~"), "aZ09-._~");
  const std::string escaped = form_escape("a b+c&d=e%f/g?h#\xc3\xa9");
  for (char c : escaped) EXPECT_TRUE(is_unreserved(c) || c == '%') << escaped;
  EXPECT_EQ(escaped.find_first_of(" +&=/?#"), std::string::npos);
  EXPECT_EQ(form_escape("%"), "%25");
  EXPECT_EQ(form_escape("&"), "%26");
  EXPECT_EQ(form_escape("+"), "%2B");
}

TEST(OAuthEncoding, FormEscapeOfAnEmptyViewIsEmpty) {
  EXPECT_EQ(form_escape(""), "");
  EXPECT_EQ(form_escape(std::string_view()), "");
  // An empty view into a longer buffer: nothing of the buffer may leak in.
  const std::string buffer = "secret";
  EXPECT_EQ(form_escape(std::string_view(buffer).substr(0, 0)), "");
  EXPECT_EQ(form_escape(std::string_view(buffer).substr(3, 0)), "");
}

TEST(OAuthEncoding, FormEscapeOfAViewUsesOnlyItsLength) {
  const std::string buffer = "abc&def";
  EXPECT_EQ(form_escape(std::string_view(buffer).substr(0, 3)), "abc");
}

TEST(OAuthEncoding, FormRoundTrip) {
  const FormFields fields = {{"space", "a b  c"},
                             {"plus", "1+1=2"},
                             {"amp", "x&y"},
                             {"eq", "=a=b="},
                             {"utf8", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91"},
                             {"percent", "100% %41 %zz %"},
                             {"empty", ""},
                             {"name with space&=", "v"},
                             {"slash", "https://a/b?c=d#e"},
                             {"nul", std::string("a\0b", 3)}};
  const std::string encoded = form_encode(fields);
  EXPECT_EQ(encoded.find(' '), std::string::npos);
  EXPECT_EQ(parse_form(encoded), fields) << encoded;
}

TEST(OAuthEncoding, FormEncodeJoinsWithAmpersand) {
  EXPECT_EQ(form_encode({{"a", "1"}, {"b", "x y"}}), "a=1&b=x%20y");
  EXPECT_EQ(form_encode({}), "");
}

TEST(OAuthEncoding, ParseFormDecodesPlusAsSpace) {
  const auto fields = parse_form("a=x+y&b=x%2By&c=%20&d");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"a", "x y"}));
  EXPECT_EQ(fields[1].second, "x+y");
  EXPECT_EQ(fields[2].second, " ");
  EXPECT_EQ(fields[3], (std::pair<std::string, std::string>{"d", ""}));
}

TEST(OAuthEncoding, ParseFormSkipsEmptyPairsAndKeepsDuplicates) {
  const auto fields = parse_form("&&a=1&&a=2&");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].second, "1");
  EXPECT_EQ(fields[1].second, "2");
  ASSERT_NE(find_field(fields, "a"), nullptr);
  EXPECT_EQ(*find_field(fields, "a"), "1");  // the first value
  EXPECT_EQ(find_field(fields, "b"), nullptr);
  EXPECT_TRUE(parse_form("").empty());
}

TEST(OAuthEncoding, ParseFormValueWithEquals) {
  const auto fields = parse_form("k=a=b");
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].first, "k");
  EXPECT_EQ(fields[0].second, "a=b");
}

TEST(OAuthEncoding, ParseFormTooManyFieldsIsProtocolError) {
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "f" + std::to_string(i) + "=v&";
  EXPECT_EQ(parse_form(hundred).size(), 100u);
  const std::string too_many = hundred + "one=more";
  try {
    parse_form(too_many);
    FAIL() << "101 fields accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
  }
}

TEST(OAuthEncoding, ParseFormTooLongIsProtocolError) {
  const std::string at_limit = "a=" + std::string(64 * 1024 - 2, 'x');
  EXPECT_EQ(parse_form(at_limit).at(0).second.size(), 64u * 1024 - 2);
  const std::string too_long = "a=" + std::string(64 * 1024, 'x');
  try {
    parse_form(too_long);
    FAIL() << "an over-long form was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
  }
}

// ---- HTTP Basic credentials ---------------------------------------------------

// Form-decodes one half of "id:secret" (as an authorization server does).
std::string form_decode(const std::string& part) {
  const auto fields = parse_form("x=" + part);
  return fields.empty() ? std::string() : fields[0].second;
}

TEST(OAuthEncoding, BasicCredentialsFormEncodeBeforeBase64) {
  const std::string id = "my:client id";
  const std::string secret = "s%cr t:+&/=\xc3\xa9";
  const std::string decoded = decode_base64(basic_credentials(id, secret));
  // Exactly one ':' separates the halves: the id's own ':' was escaped.
  ASSERT_EQ(std::count(decoded.begin(), decoded.end(), ':'), 1) << decoded;
  const auto colon = decoded.find(':');
  const std::string id_part = decoded.substr(0, colon);
  const std::string secret_part = decoded.substr(colon + 1);
  EXPECT_EQ(id_part.find(' '), std::string::npos);
  EXPECT_EQ(secret_part.find_first_of(" +&/=:"), std::string::npos) << secret_part;
  EXPECT_NE(secret_part.find("%25"), std::string::npos) << secret_part;  // '%' itself escaped
  EXPECT_EQ(form_decode(id_part), id);
  EXPECT_EQ(form_decode(secret_part), secret);
}

TEST(OAuthEncoding, BasicCredentialsPlainValues) {
  EXPECT_EQ(basic_credentials("client", "secret"), base64("client:secret"));
  EXPECT_EQ(decode_base64(basic_credentials("a", "")), "a:");
}

}  // namespace

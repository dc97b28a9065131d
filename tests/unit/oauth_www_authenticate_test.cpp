// WWW-Authenticate parsing (RFC 9110 §11.6.1) and the MCP summary of a
// challenge list (core/oauth/www_authenticate).
#include "mcpauth/core/oauth/www_authenticate.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using mcpauth::core::oauth::AuthChallenge;
using mcpauth::core::oauth::Challenge;
using mcpauth::core::oauth::parse_www_authenticate;
using mcpauth::core::oauth::summarize;

std::vector<Challenge> parse1(const std::string& field) {
  return parse_www_authenticate({field});
}

// Each parameter of `expected` has that value in `challenge` (nullopt: absent).
void expect_params(const Challenge& challenge,
                   std::initializer_list<std::pair<const char*, std::optional<std::string>>> expected) {
  for (const auto& [name, value] : expected) EXPECT_EQ(challenge.param(name), value) << name;
}

// Every field of the summary (none of these challenges is DPoP).
void expect_summary(const AuthChallenge& s, bool bearer, const std::optional<std::string>& resource_metadata,
                    const std::optional<std::string>& scope, const std::optional<std::string>& error,
                    const std::optional<std::string>& error_description) {
  EXPECT_EQ(s.bearer, bearer);
  EXPECT_EQ(s.resource_metadata, resource_metadata);
  EXPECT_EQ(s.scope, scope);
  EXPECT_EQ(s.error, error);
  EXPECT_EQ(s.error_description, error_description);
  EXPECT_FALSE(s.dpop);
}

TEST(OAuthWwwAuthenticate, SingleBearerWithResourceMetadataScopeAndError) {
  const auto challenges =
      parse1(R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", )"
             R"(scope="files:read files:write", error="insufficient_scope")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "Bearer");
  EXPECT_TRUE(challenges[0].is("bearer"));
  EXPECT_FALSE(challenges[0].token68.has_value());
  expect_params(challenges[0], {{"resource_metadata", "https://mcp.example.com/.well-known/oauth-protected-resource"},
                                {"scope", "files:read files:write"},
                                {"error", "insufficient_scope"},
                                {"realm", std::nullopt}});

  expect_summary(summarize(challenges), true, "https://mcp.example.com/.well-known/oauth-protected-resource",
                 "files:read files:write", "insufficient_scope", std::nullopt);
}

TEST(OAuthWwwAuthenticate, SeveralChallengesInOneField) {
  const auto challenges = parse1(R"(Basic realm="x", Bearer resource_metadata="https://a/b", scope="a b")");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_TRUE(challenges[0].is("Basic"));
  expect_params(challenges[0], {{"realm", "x"}, {"resource_metadata", std::nullopt}});
  EXPECT_TRUE(challenges[1].is("Bearer"));
  expect_params(challenges[1], {{"resource_metadata", "https://a/b"}, {"scope", "a b"}, {"realm", std::nullopt}});

  const auto s = summarize(challenges);
  EXPECT_TRUE(s.bearer);
  EXPECT_EQ(s.resource_metadata, "https://a/b");
  EXPECT_EQ(s.scope, "a b");
}

TEST(OAuthWwwAuthenticate, BearerFirstThenOtherSchemeInOneField) {
  const auto challenges = parse1(R"(Bearer realm="r", error="invalid_token", Basic realm="b")");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_TRUE(challenges[0].is("Bearer"));
  EXPECT_EQ(challenges[0].params.size(), 2u);
  EXPECT_EQ(challenges[0].param("error"), "invalid_token");
  EXPECT_TRUE(challenges[1].is("Basic"));
  EXPECT_EQ(challenges[1].param("realm"), "b");
}

TEST(OAuthWwwAuthenticate, SeveralFieldsKeepTheirOrder) {
  const auto challenges = parse_www_authenticate(
      {R"(Basic realm="one")", R"(Bearer scope="s1", resource_metadata="https://rs/prm")", "Negotiate"});
  ASSERT_EQ(challenges.size(), 3u);
  EXPECT_TRUE(challenges[0].is("Basic"));
  EXPECT_TRUE(challenges[1].is("Bearer"));
  EXPECT_TRUE(challenges[2].is("Negotiate"));
  EXPECT_TRUE(challenges[2].params.empty());
  EXPECT_FALSE(challenges[2].token68.has_value());
  const auto s = summarize(challenges);
  EXPECT_EQ(s.scope, "s1");
  EXPECT_EQ(s.resource_metadata, "https://rs/prm");
}

TEST(OAuthWwwAuthenticate, QuotedStringWithEscapedQuoteAndComma) {
  const auto challenges =
      parse1(R"(Bearer error_description="say \"hi\", then, leave", scope="a,b", error="invalid_token")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].param("error_description"), R"(say "hi", then, leave)");
  EXPECT_EQ(challenges[0].param("scope"), "a,b");
  EXPECT_EQ(challenges[0].param("error"), "invalid_token");
  EXPECT_EQ(summarize(challenges).error_description, R"(say "hi", then, leave)");
}

TEST(OAuthWwwAuthenticate, EscapedBackslashInQuotedString) {
  const auto challenges = parse1(R"(Bearer realm="a\\b", scope="x")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].param("realm"), R"(a\b)");
  EXPECT_EQ(challenges[0].param("scope"), "x");
}

TEST(OAuthWwwAuthenticate, SchemeAndParameterNamesAreCaseInsensitive) {
  const auto challenges = parse1(R"(bearer RESOURCE_METADATA="https://rs/.well-known/x", Scope="Read")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");  // kept as sent
  EXPECT_TRUE(challenges[0].is("Bearer"));
  EXPECT_TRUE(challenges[0].is("BEARER"));
  EXPECT_FALSE(challenges[0].is("Bear"));
  EXPECT_EQ(challenges[0].param("resource_metadata"), "https://rs/.well-known/x");
  EXPECT_EQ(challenges[0].param("scope"), "Read");  // values keep their case
  const auto s = summarize(challenges);
  EXPECT_TRUE(s.bearer);
  EXPECT_EQ(s.resource_metadata, "https://rs/.well-known/x");
}

TEST(OAuthWwwAuthenticate, TokenValuesWithoutQuotes) {
  const auto challenges = parse1("Bearer realm=example, error=invalid_token,scope=read");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_FALSE(challenges[0].token68.has_value());
  EXPECT_EQ(challenges[0].param("realm"), "example");
  EXPECT_EQ(challenges[0].param("error"), "invalid_token");
  EXPECT_EQ(challenges[0].param("scope"), "read");
}

TEST(OAuthWwwAuthenticate, WhitespaceAroundEquals) {
  const auto challenges = parse1(R"(Bearer realm = "x" , error= invalid_token)");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].param("realm"), "x");
  EXPECT_EQ(challenges[0].param("error"), "invalid_token");
}

TEST(OAuthWwwAuthenticate, Token68Challenges) {
  {
    const auto challenges = parse1("Negotiate abc==");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_TRUE(challenges[0].is("Negotiate"));
    EXPECT_EQ(challenges[0].token68, "abc==");
    EXPECT_TRUE(challenges[0].params.empty());
  }
  {
    const auto challenges = parse1("Basic dXNlcjpwYXNz");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].token68, "dXNlcjpwYXNz");
    EXPECT_TRUE(challenges[0].params.empty());
  }
  {
    // token68 ends its challenge; the next one follows the comma.
    const auto challenges = parse1(R"(Negotiate a+b/c=, Bearer scope="s")");
    ASSERT_EQ(challenges.size(), 2u);
    EXPECT_EQ(challenges[0].token68, "a+b/c=");
    EXPECT_TRUE(challenges[1].is("Bearer"));
    EXPECT_EQ(challenges[1].param("scope"), "s");
    EXPECT_FALSE(challenges[1].token68.has_value());
  }
}

TEST(OAuthWwwAuthenticate, ResourceMetadataUnderNonBearerSchemeIsPickedUp) {
  const auto challenges =
      parse1(R"(DPoP algs="ES256", resource_metadata="https://rs/.well-known/oauth-protected-resource")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_TRUE(challenges[0].is("DPoP"));
  const auto s = summarize(challenges);
  EXPECT_FALSE(s.bearer);
  EXPECT_EQ(s.resource_metadata, "https://rs/.well-known/oauth-protected-resource");
  EXPECT_EQ(s.scope, std::nullopt);
}

TEST(OAuthWwwAuthenticate, BearerResourceMetadataWinsOverOtherSchemes) {
  const auto s =
      summarize(parse1(R"(DPoP resource_metadata="https://dpop/prm", Bearer resource_metadata="https://bearer/prm")"));
  EXPECT_TRUE(s.bearer);
  EXPECT_EQ(s.resource_metadata, "https://bearer/prm");
}

TEST(OAuthWwwAuthenticate, BearerWithoutResourceMetadataFallsBackToOtherScheme) {
  const auto s = summarize(parse1(R"(Bearer scope="x", DPoP resource_metadata="https://dpop/prm")"));
  EXPECT_TRUE(s.bearer);
  EXPECT_EQ(s.scope, "x");
  EXPECT_EQ(s.resource_metadata, "https://dpop/prm");
}

TEST(OAuthWwwAuthenticate, ScopeOnlyFromBearerNotFromOtherSchemes) {
  const auto s = summarize(parse1(R"(Basic scope="from-basic", Bearer realm="r")"));
  EXPECT_TRUE(s.bearer);
  EXPECT_EQ(s.scope, std::nullopt);
}

TEST(OAuthWwwAuthenticate, EmptyHeaderAndNoFields) {
  EXPECT_TRUE(parse1("").empty());
  EXPECT_TRUE(parse1("   \t ").empty());
  EXPECT_TRUE(parse_www_authenticate({}).empty());
  expect_summary(summarize({}), false, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
}

TEST(OAuthWwwAuthenticate, JunkDoesNotThrow) {
  const std::vector<std::string> junk = {
      ",,,",
      "Bearer ===",
      R"(Bearer realm="unterminated)",
      R"(Bearer realm="x\)",
      "=",
      "\"",
      "Bearer ,,, scope=",
      "Bearer scope=\"a\" junk junk, error=\"e\"",
      "\x01\x02\xff\xfe",
      std::string("Bearer\0scope=\"x\"", 16),
      "Bearer realm=\"x\",=,=\",Basic",
  };
  for (const auto& field : junk) {
    std::vector<Challenge> challenges;
    EXPECT_NO_THROW(challenges = parse1(field)) << field;
    EXPECT_NO_THROW(summarize(challenges)) << field;
  }
  EXPECT_TRUE(parse1(",,,").empty());
}

TEST(OAuthWwwAuthenticate, JunkAfterAValueIsSkippedToTheNextParameter) {
  const auto challenges = parse1(R"(Bearer scope="a" junk junk, error="e")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].param("scope"), "a");
  EXPECT_EQ(challenges[0].param("error"), "e");
}

TEST(OAuthWwwAuthenticate, UnterminatedQuoteKeepsWhatWasRead) {
  const auto challenges = parse1(R"(Bearer scope="a b)");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_TRUE(challenges[0].is("Bearer"));
  EXPECT_EQ(challenges[0].param("scope"), "a b");
}

TEST(OAuthWwwAuthenticate, BearerWithOnlyEqualsHasNoParams) {
  const auto challenges = parse1("Bearer ===");
  ASSERT_FALSE(challenges.empty());
  EXPECT_TRUE(challenges[0].is("Bearer"));
  EXPECT_TRUE(challenges[0].params.empty());
  EXPECT_TRUE(summarize(challenges).bearer);
}

TEST(OAuthWwwAuthenticate, OneMegabyteHeaderIsBounded) {
  std::string huge = "Bearer realm=\"" + std::string(1 << 20, 'a') + "\", scope=\"x\"";
  std::vector<Challenge> challenges;
  ASSERT_NO_THROW(challenges = parse1(huge));
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_TRUE(challenges[0].is("Bearer"));
  for (const auto& [name, value] : challenges[0].params) EXPECT_LT(value.size(), huge.size());
  // A megabyte of separators and of unterminated quote.
  EXPECT_NO_THROW(parse1(std::string(1 << 20, ',')));
  EXPECT_NO_THROW(parse1("Bearer x=\"" + std::string(1 << 20, '\\')));
}

TEST(OAuthWwwAuthenticate, TenThousandChallengesAreBounded) {
  std::string field;
  for (int i = 0; i < 10000; ++i) field += "Basic realm=\"r" + std::to_string(i) + "\", ";
  field += R"(Bearer scope="late")";
  std::vector<Challenge> challenges;
  ASSERT_NO_THROW(challenges = parse1(field));
  EXPECT_GT(challenges.size(), 0u);
  EXPECT_LT(challenges.size(), 10000u);  // capped, not all kept
  EXPECT_TRUE(challenges[0].is("Basic"));
  EXPECT_EQ(challenges[0].param("realm"), "r0");

  // Many fields too.
  std::vector<std::string> fields(10000, "Basic realm=\"x\"");
  ASSERT_NO_THROW(challenges = parse_www_authenticate(fields));
  EXPECT_LT(challenges.size(), 10000u);
}

TEST(OAuthWwwAuthenticate, ManyParametersAreBounded) {
  std::string field = "Bearer ";
  for (int i = 0; i < 10000; ++i) field += "p" + std::to_string(i) + "=v, ";
  std::vector<Challenge> challenges;
  ASSERT_NO_THROW(challenges = parse1(field));
  std::size_t total = 0;
  for (const auto& c : challenges) total += c.params.size();
  EXPECT_LT(total, 10000u);
}

TEST(OAuthWwwAuthenticate, ExactHeaderOfTheMcpTypeScriptSdk) {
  const auto challenges =
      parse1(R"(Bearer error="invalid_token", error_description="Missing Authorization header", )"
             R"(resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].params.size(), 3u);
  expect_summary(summarize(challenges), true, "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
                 std::nullopt, "invalid_token", "Missing Authorization header");
}

}  // namespace

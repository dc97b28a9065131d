// RFC 7009 token revocation (core/oauth/revocation): the request with each
// client authentication, and what each answer means. No error message may
// carry the token being revoked.
#include "mcpauth/core/oauth/revocation.hpp"

#include <gtest/gtest.h>

#include <string>

#include "error_of.hpp"
#include "form_field.hpp"
#include "mcpauth/error.hpp"
#include "oauth_values.hpp"

namespace mcpauth::core::oauth {
namespace {

using namespace testing::oauth_values;

constexpr const char* kEndpoint = "https://server.example.com/revoke";
// RFC 7009 §2.1's example token.
constexpr const char* kToken = "45ghiukldjahdnhzdauz";

ClientRegistration client(const std::string& method) {
  return registered_client("https://server.example.com", "s6BhdRkqt3", method);
}

using mcpauth::testing::expect_fields;
using mcpauth::testing::field;

Error revocation_error(int status, const std::string& body, std::string_view retry_after = {}) {
  const Error e = mcpauth::testing::error_without(
      [&] { check_revocation_response(status, body, kEndpoint, retry_after); }, {kToken, kSecret});
  EXPECT_NE(std::string(e.what()).find(kEndpoint), std::string::npos) << e.what();
  EXPECT_EQ(e.http_status(), status);
  return e;
}

TEST(OAuthRevocationRequest, MatchesTheRfcExampleWithBasicAuthentication) {
  const auto r = revocation_request(kEndpoint, kToken, "refresh_token", client("client_secret_basic"), kNow, "jti");
  EXPECT_EQ(r.url, kEndpoint);
  EXPECT_EQ(r.body, "token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token");
  ASSERT_TRUE(r.authorization);
  EXPECT_EQ(*r.authorization, "Basic " + basic_credentials("s6BhdRkqt3", kSecret));
}

TEST(OAuthRevocationRequest, PublicClientSendsItsIdInTheBody) {
  const auto r = revocation_request(kEndpoint, kToken, "access_token", client("none"), kNow, "jti");
  EXPECT_FALSE(r.authorization);
  const FormFields f = parse_form(r.body);
  expect_fields(f, {{"token", kToken},
                    {"token_type_hint", "access_token"},
                    {"client_id", "s6BhdRkqt3"},
                    {"client_secret", "<absent>"}});
}

TEST(OAuthRevocationRequest, PostAuthenticationAndNoHint) {
  const auto r = revocation_request(kEndpoint, kToken, "", client("client_secret_post"), kNow, "jti");
  const FormFields f = parse_form(r.body);
  expect_fields(f, {{"token_type_hint", "<absent>"}, {"client_id", "s6BhdRkqt3"}, {"client_secret", kSecret}});
}

TEST(OAuthRevocationResponse, TwoHundredIsSuccessWhateverTheBody) {
  EXPECT_NO_THROW(check_revocation_response(200, "", kEndpoint));
  EXPECT_NO_THROW(check_revocation_response(200, "not json", kEndpoint));
  EXPECT_NO_THROW(check_revocation_response(200, R"({"error":"invalid_request"})", kEndpoint))
      << "RFC 7009 §2.2: the body is ignored";
}

TEST(OAuthRevocationResponse, ServiceUnavailableSaysWhenToRetry) {
  Error e = revocation_error(503, "", "120");
  EXPECT_EQ(e.code(), ErrorCode::auth_server_unreachable);
  EXPECT_NE(std::string(e.what()).find("try again in 120 s"), std::string::npos) << e.what();
  e = revocation_error(503, "", "Fri, 31 Dec 1999 23:59:59 GMT");
  EXPECT_NE(std::string(e.what()).find("try again later"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("1999"), std::string::npos) << "header values are not echoed";
  e = revocation_error(503, R"({"error":"temporarily_unavailable"})");
  EXPECT_NE(std::string(e.what()).find("try again later"), std::string::npos) << e.what();
}

TEST(OAuthRevocationResponse, UnsupportedTokenTypeIsExplained) {
  try {
    check_revocation_response(400, R"({"error":"unsupported_token_type"})", kEndpoint);
    FAIL();
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_rejected);
    EXPECT_EQ(e.oauth_error(), "unsupported_token_type");
    EXPECT_NE(std::string(e.what()).find("does not revoke this kind of token"), std::string::npos) << e.what();
  }
}

TEST(OAuthRevocationResponse, OtherErrorsAreTokenRejections) {
  const Error e = revocation_error(401, R"({"error":"invalid_client","error_description":"bad\nsecret"})");
  EXPECT_EQ(e.code(), ErrorCode::token_rejected);
  EXPECT_NE(std::string(e.what()).find("invalid_client (bad\\nsecret)"), std::string::npos) << e.what();
  EXPECT_EQ(revocation_error(400, "<html>").code(), ErrorCode::token_rejected);
  EXPECT_EQ(revocation_error(500, std::string(64 * 1024 + 1, ' ')).code(), ErrorCode::token_rejected);
  EXPECT_EQ(revocation_error(404, "").code(), ErrorCode::token_rejected);
}

}  // namespace
}  // namespace mcpauth::core::oauth

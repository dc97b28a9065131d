// The assertion grants: RFC 7523 jwt-bearer and the RFC 8693 token exchange
// for an Identity Assertion JWT Authorization Grant (SEP-990).
#include <gtest/gtest.h>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::core::oauth {
namespace {

ClientRegistration public_client() {
  ClientRegistration c;
  c.issuer = "https://as.example.com";
  c.client_id = "workload";
  return c;
}

TEST(OAuthAssertionGrants, JwtBearerRequestCarriesTheAssertionResourceAndClient) {
  const auto r = jwt_bearer_request("https://as.example.com/token", "eyJ.a.b", std::string("mcp:tools"),
                                    std::string("https://mcp.example.com/mcp"), public_client(), Clock::now(), "j");
  const auto fields = parse_form(r.body);
  ASSERT_NE(find_field(fields, "grant_type"), nullptr);
  EXPECT_EQ(*find_field(fields, "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(*find_field(fields, "assertion"), "eyJ.a.b");
  EXPECT_EQ(*find_field(fields, "resource"), "https://mcp.example.com/mcp");
  EXPECT_EQ(*find_field(fields, "scope"), "mcp:tools");
  EXPECT_EQ(*find_field(fields, "client_id"), "workload");
  EXPECT_FALSE(r.authorization.has_value());
}

TEST(OAuthAssertionGrants, IdentityAssertionRequestAsksTheIdpForAnIdJagForTheAuthorizationServer) {
  IdentityAssertionRequest request{"https://idp.example.com/token", "id-token-value", "https://as.example.com",
                                   std::string("https://mcp.example.com/mcp"), std::nullopt};
  ClientRegistration idp_client;
  idp_client.client_id = "idp-client";
  const auto r = identity_assertion_request(request, idp_client, Clock::now(), "j");
  EXPECT_EQ(r.url, "https://idp.example.com/token");
  const auto fields = parse_form(r.body);
  EXPECT_EQ(*find_field(fields, "grant_type"), "urn:ietf:params:oauth:grant-type:token-exchange");
  EXPECT_EQ(*find_field(fields, "requested_token_type"), "urn:ietf:params:oauth:token-type:id-jag");
  EXPECT_EQ(*find_field(fields, "subject_token_type"), "urn:ietf:params:oauth:token-type:id_token");
  EXPECT_EQ(*find_field(fields, "audience"), "https://as.example.com");
  EXPECT_EQ(*find_field(fields, "resource"), "https://mcp.example.com/mcp");
  EXPECT_EQ(find_field(fields, "scope"), nullptr);
}

TEST(OAuthAssertionGrants, IdentityAssertionResponseMustBeAnIdJag) {
  EXPECT_EQ(parse_identity_assertion_response(
                200, R"({"access_token":"jag","issued_token_type":"urn:ietf:params:oauth:token-type:id-jag"})", "e"),
            "jag");
  try {
    parse_identity_assertion_response(200, R"({"access_token":"secret-at","issued_token_type":"x"})", "e");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
    EXPECT_EQ(std::string(e.what()).find("secret-at"), std::string::npos) << "never show the token";
  }
  try {
    parse_identity_assertion_response(400, R"({"error":"invalid_grant"})", "e");
    FAIL();
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.oauth_error(), "invalid_grant");
  }
}

}  // namespace
}  // namespace mcpauth::core::oauth

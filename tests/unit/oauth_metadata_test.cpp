// Discovery documents: well-known URL construction (spec-checklist §11 A/B),
// PRM and AS metadata parsing and validation, resource matching, PKCE
// support and the 2025-03-26 defaults (core/oauth/metadata).
#include "mcpauth/core/oauth/metadata.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "error_of.hpp"
#include "mcpauth/error.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
using namespace mcpauth::core::oauth;
using Strings = std::vector<std::string>;

using mcpauth::testing::error_code_of;

// ---- §11 A: PRM candidates -------------------------------------------------

struct PrmRow {
  std::string server;
  Strings expected;
};

TEST(OAuthMetadataUrls, ProtectedResourceMetadataTableA) {
  const std::vector<PrmRow> rows = {
      {"https://mcp.example.com/mcp",
       {"https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
        "https://mcp.example.com/.well-known/oauth-protected-resource"}},
      {"https://mcp.example.com/sse",
       {"https://mcp.example.com/.well-known/oauth-protected-resource/sse",
        "https://mcp.example.com/.well-known/oauth-protected-resource"}},
      {"https://example.com/public/mcp",
       {"https://example.com/.well-known/oauth-protected-resource/public/mcp",
        "https://example.com/.well-known/oauth-protected-resource"}},
      {"https://example.com/auth/public",
       {"https://example.com/.well-known/oauth-protected-resource/auth/public",
        "https://example.com/.well-known/oauth-protected-resource"}},
      {"https://mcp.example.com", {"https://mcp.example.com/.well-known/oauth-protected-resource"}},
      {"https://mcp.example.com:8443/mcp",
       {"https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp",
        "https://mcp.example.com:8443/.well-known/oauth-protected-resource"}},
      {"https://mcp.example.com/mcp/",
       {"https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
        "https://mcp.example.com/.well-known/oauth-protected-resource"}},
      {"https://mcp.example.com/mcp?tenant=a",
       {"https://mcp.example.com/.well-known/oauth-protected-resource/mcp?tenant=a",
        "https://mcp.example.com/.well-known/oauth-protected-resource"}},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(protected_resource_metadata_urls(row.server), row.expected) << row.server;
  }
}

TEST(OAuthMetadataUrls, ProtectedResourceMetadataRootOnlyForSlashPath) {
  EXPECT_EQ(protected_resource_metadata_urls("https://mcp.example.com/"),
            Strings{"https://mcp.example.com/.well-known/oauth-protected-resource"});
}

TEST(OAuthMetadataUrls, ProtectedResourceMetadataLoopbackHttpWithPort) {
  EXPECT_EQ(protected_resource_metadata_urls("http://localhost:3000/mcp"),
            (Strings{"http://localhost:3000/.well-known/oauth-protected-resource/mcp",
                     "http://localhost:3000/.well-known/oauth-protected-resource"}));
}

// ---- §11 B: AS metadata candidates -----------------------------------------

TEST(OAuthMetadataUrls, AuthorizationServerMetadataTableB) {
  const Strings with_path = {"https://example.com/.well-known/oauth-authorization-server/auth/public",
                             "https://example.com/.well-known/openid-configuration/auth/public",
                             "https://example.com/auth/public/.well-known/openid-configuration"};
  EXPECT_EQ(authorization_server_metadata_urls("https://example.com/auth/public"), with_path);
  // Trailing slash: the same three URLs (stripped before insertion or appending).
  EXPECT_EQ(authorization_server_metadata_urls("https://example.com/auth/public/"), with_path);

  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example.com/tenant1"),
            (Strings{"https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                     "https://auth.example.com/.well-known/openid-configuration/tenant1",
                     "https://auth.example.com/tenant1/.well-known/openid-configuration"}));

  const Strings root = {"https://auth.example.com/.well-known/oauth-authorization-server",
                        "https://auth.example.com/.well-known/openid-configuration"};
  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example.com"), root);
  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example.com/"), root);
}

TEST(OAuthMetadataUrls, AuthorizationServerMetadataKeepsPort) {
  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example.com:8443/t"),
            (Strings{"https://auth.example.com:8443/.well-known/oauth-authorization-server/t",
                     "https://auth.example.com:8443/.well-known/openid-configuration/t",
                     "https://auth.example.com:8443/t/.well-known/openid-configuration"}));
}

// ---- PRM parsing -----------------------------------------------------------

constexpr const char* kPrmUrl = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

TEST(OAuthProtectedResourceMetadata, ParsesValidDocument) {
  const auto prm = parse_protected_resource_metadata(
      R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com","https://b"],
          "scopes_supported":["read","write"],"bearer_methods_supported":["header"],"unknown":{"x":1}})",
      kPrmUrl);
  EXPECT_EQ(prm.resource, "https://mcp.example.com/mcp");
  EXPECT_EQ(prm.authorization_servers, (Strings{"https://auth.example.com", "https://b"}));
  ASSERT_TRUE(prm.scopes_supported.has_value());
  EXPECT_EQ(*prm.scopes_supported, (Strings{"read", "write"}));
  EXPECT_EQ(prm.raw["unknown"]["x"], 1);
}

TEST(OAuthProtectedResourceMetadata, ScopesSupportedAbsentIsNullopt) {
  const auto prm =
      parse_protected_resource_metadata(R"({"resource":"https://r","authorization_servers":["https://a"]})", kPrmUrl);
  EXPECT_FALSE(prm.scopes_supported.has_value());
}

TEST(OAuthProtectedResourceMetadata, MissingResourceIsInvalid) {
  EXPECT_EQ(
      error_code_of([] { parse_protected_resource_metadata(R"({"authorization_servers":["https://a"]})", kPrmUrl); }),
      ErrorCode::invalid_metadata);
  EXPECT_EQ(error_code_of([] {
              parse_protected_resource_metadata(R"({"resource":"","authorization_servers":["https://a"]})", kPrmUrl);
            }),
            ErrorCode::invalid_metadata);
  EXPECT_EQ(error_code_of([] {
              parse_protected_resource_metadata(R"({"resource":42,"authorization_servers":["https://a"]})", kPrmUrl);
            }),
            ErrorCode::invalid_metadata);
}

TEST(OAuthProtectedResourceMetadata, EmptyOrMissingAuthorizationServersIsInvalid) {
  for (const char* body : {R"({"resource":"https://r","authorization_servers":[]})", R"({"resource":"https://r"})",
                           R"({"resource":"https://r","authorization_servers":"https://a"})",
                           R"({"resource":"https://r","authorization_servers":[1,null]})"}) {
    EXPECT_EQ(error_code_of([&] { parse_protected_resource_metadata(body, kPrmUrl); }), ErrorCode::invalid_metadata)
        << body;
  }
}

TEST(OAuthProtectedResourceMetadata, NotJsonIsInvalid) {
  for (const char* body : {"", "<html>not found</html>", "[1,2]", "\"string\"", "{\"resource\":", "null"}) {
    EXPECT_EQ(error_code_of([&] { parse_protected_resource_metadata(body, kPrmUrl); }), ErrorCode::invalid_metadata)
        << body;
  }
}

TEST(OAuthProtectedResourceMetadata, OverMaxBytesIsInvalid) {
  std::string body = R"({"resource":"https://r","authorization_servers":["https://a"],"pad":")";
  body += std::string(kMaxMetadataBytes, 'x') + "\"}";
  ASSERT_GT(body.size(), kMaxMetadataBytes);
  EXPECT_EQ(error_code_of([&] { parse_protected_resource_metadata(body, kPrmUrl); }), ErrorCode::invalid_metadata);
  try {
    parse_protected_resource_metadata(body, kPrmUrl);
  } catch (const Error& e) {
    EXPECT_EQ(e.url(), kPrmUrl);
  }
}

TEST(OAuthProtectedResourceMetadata, ExactlyMaxBytesIsAccepted) {
  std::string body = R"({"resource":"https://r","authorization_servers":["https://a"],"pad":")";
  const std::string tail = "\"}";
  body += std::string(kMaxMetadataBytes - body.size() - tail.size(), 'x') + tail;
  ASSERT_EQ(body.size(), kMaxMetadataBytes);
  EXPECT_EQ(parse_protected_resource_metadata(body, kPrmUrl).resource, "https://r");
}

// ---- resource_matches --------------------------------------------------------

// Each row: the PRM's resource, the server URL it must cover, whether it does,
// and the rule the row is about.
struct ResourceCase {
  const char* resource;
  const char* server;
  bool matches;
  const char* rule;
};

const ResourceCase kResourceCases[] = {
    {"https://mcp.example.com/mcp", "https://mcp.example.com/mcp", true, "exact match"},
    {"https://mcp.example.com", "https://mcp.example.com", true, "exact match"},
    {"https://mcp.example.com", "https://mcp.example.com/mcp", true, "an origin-only resource covers a path"},
    {"https://mcp.example.com/", "https://mcp.example.com/mcp", true, "an origin-only resource covers a path"},
    {"https://example.com/public", "https://example.com/public/mcp", true, "a path prefix covers what is below it"},
    {"https://mcp.example.com/mcp", "https://mcp.example.com/mcpx", false, "a prefix ends on a segment boundary"},
    {"https://mcp.example.com/mc", "https://mcp.example.com/mcp", false, "a prefix ends on a segment boundary"},
    {"https://mcp.example.com/mcp/deeper", "https://mcp.example.com/mcp", false, "a prefix ends on a segment boundary"},
    {"https://mcp.example.com/other", "https://mcp.example.com/mcp", false, "a prefix ends on a segment boundary"},
    {"https://mcp.example.com:8443/mcp", "https://mcp.example.com/mcp", false, "another origin never matches"},
    {"http://mcp.example.com/mcp", "https://mcp.example.com/mcp", false, "another origin never matches"},
    {"https://evil.example.com/mcp", "https://mcp.example.com/mcp", false, "another origin never matches"},
    {"https://example.com", "https://mcp.example.com/mcp", false, "another origin never matches"},
    {"https://mcp.example.com.evil/mcp", "https://mcp.example.com/mcp", false, "another origin never matches"},
    {"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp", true, "trailing slashes"},
    {"https://mcp.example.com/mcp", "https://mcp.example.com/mcp/", true, "trailing slashes"},
    {"https://mcp.example.com/mcp/", "https://mcp.example.com/mcpx", false, "trailing slashes"},
    {"not a url", "https://mcp.example.com/mcp", false, "unparsable is false"},
    {"https://mcp.example.com/mcp", "", false, "unparsable is false"},
    {"ftp://mcp.example.com/mcp", "ftp://mcp.example.com/mcp", false, "unparsable is false"},
};

TEST(OAuthResourceMatches, EveryRuleOfTheTable) {
  for (const auto& c : kResourceCases) {
    EXPECT_EQ(resource_matches(c.resource, c.server), c.matches) << c.rule << ": " << c.resource << " for " << c.server;
  }
}

// ---- AS metadata -------------------------------------------------------------

constexpr const char* kAsUrl = "https://auth.example.com/.well-known/oauth-authorization-server";

std::string as_doc(const std::string& issuer, const std::string& extra = "") {
  return R"({"issuer":")" + issuer + R"(","authorization_endpoint":"https://auth.example.com/authorize",)" +
         R"("token_endpoint":"https://auth.example.com/token","response_types_supported":["code"],)" +
         R"("code_challenge_methods_supported":["S256"])" + extra + "}";
}

TEST(OAuthAuthorizationServerMetadata, ParsesMinimalDocument) {
  const auto m = parse_authorization_server_metadata(as_doc("https://auth.example.com"), kAsUrl,
                                                     std::string("https://auth.example.com"));
  EXPECT_EQ(m.issuer, "https://auth.example.com");
  EXPECT_EQ(m.authorization_endpoint, "https://auth.example.com/authorize");
  EXPECT_EQ(m.token_endpoint, "https://auth.example.com/token");
  EXPECT_EQ(m.response_types_supported, Strings{"code"});
  EXPECT_EQ(m.code_challenge_methods_supported, Strings{"S256"});
  EXPECT_FALSE(m.registration_endpoint.has_value());
  EXPECT_FALSE(m.revocation_endpoint.has_value());
  EXPECT_FALSE(m.device_authorization_endpoint.has_value());
  EXPECT_FALSE(m.token_endpoint_auth_methods_supported.has_value());
  EXPECT_FALSE(m.grant_types_supported.has_value());
  EXPECT_FALSE(m.scopes_supported.has_value());
  EXPECT_FALSE(m.client_id_metadata_document_supported);
  EXPECT_FALSE(m.authorization_response_iss_parameter_supported);
  EXPECT_FALSE(m.from_defaults);
}

TEST(OAuthAuthorizationServerMetadata, OptionalFieldsParsed) {
  const auto m = parse_authorization_server_metadata(
      as_doc("https://auth.example.com/tenant1",
             R"(,"registration_endpoint":"https://auth.example.com/register",)"
             R"("revocation_endpoint":"https://auth.example.com/revoke",)"
             R"("device_authorization_endpoint":"https://auth.example.com/device",)"
             R"("token_endpoint_auth_methods_supported":["client_secret_basic","none"],)"
             R"("grant_types_supported":["authorization_code","refresh_token"],)"
             R"("scopes_supported":["openid","offline_access"],)"
             R"("client_id_metadata_document_supported":true,)"
             R"("authorization_response_iss_parameter_supported":true)"),
      kAsUrl, std::string("https://auth.example.com/tenant1"));
  EXPECT_EQ(m.registration_endpoint, "https://auth.example.com/register");
  EXPECT_EQ(m.revocation_endpoint, "https://auth.example.com/revoke");
  EXPECT_EQ(m.device_authorization_endpoint, "https://auth.example.com/device");
  EXPECT_EQ(m.token_endpoint_auth_methods_supported, (Strings{"client_secret_basic", "none"}));
  EXPECT_EQ(m.grant_types_supported, (Strings{"authorization_code", "refresh_token"}));
  EXPECT_EQ(m.scopes_supported, (Strings{"openid", "offline_access"}));
  EXPECT_TRUE(m.client_id_metadata_document_supported);
  EXPECT_TRUE(m.authorization_response_iss_parameter_supported);
  EXPECT_EQ(m.raw["issuer"], "https://auth.example.com/tenant1");
}

TEST(OAuthAuthorizationServerMetadata, NonBooleanFlagsAreFalseNotAThrow) {
  // A flag of the wrong JSON type must not escape as a nlohmann exception.
  AuthorizationServerMetadata m;
  ASSERT_NO_THROW(m = parse_authorization_server_metadata(
                      as_doc("https://auth.example.com", R"(,"client_id_metadata_document_supported":"true",)"
                                                         R"("authorization_response_iss_parameter_supported":1)"),
                      kAsUrl, std::string("https://auth.example.com")));
  EXPECT_FALSE(m.client_id_metadata_document_supported);
  EXPECT_FALSE(m.authorization_response_iss_parameter_supported);
}

TEST(OAuthAuthorizationServerMetadata, IssuerMustMatchExactly) {
  const std::string expected = "https://auth.example.com/tenant1";
  for (const std::string claimed :
       {"https://auth.example.com/tenant1/", "https://AUTH.example.com/tenant1", "https://auth.example.com/Tenant1",
        "https://auth.example.com:443/tenant1", "https://auth.example.com", "http://auth.example.com/tenant1"}) {
    EXPECT_EQ(error_code_of([&] { parse_authorization_server_metadata(as_doc(claimed), kAsUrl, expected); }),
              ErrorCode::issuer_mismatch)
        << claimed;
  }
  // And the other way round: the expected value has the slash, the document not.
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(as_doc("https://auth.example.com/tenant1"), kAsUrl,
                                                  std::string("https://auth.example.com/tenant1/"));
            }),
            ErrorCode::issuer_mismatch);
  // The trailing-slash issuer from table B comes back verbatim and is accepted.
  EXPECT_NO_THROW(parse_authorization_server_metadata(as_doc("https://example.com/auth/public/"), kAsUrl,
                                                      std::string("https://example.com/auth/public/")));
}

TEST(OAuthAuthorizationServerMetadata, AttackerClaimingHonestIssuerIsRejected) {
  // spec-checklist §3.3: fetched from the attacker, claims the honest issuer.
  const std::string body =
      R"({"issuer":"https://honest.example","authorization_endpoint":"https://honest.example/a",)"
      R"("token_endpoint":"https://honest.example/t","code_challenge_methods_supported":["S256"]})";
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(body,
                                                  "https://attacker.example/.well-known/oauth-authorization-server",
                                                  std::string("https://attacker.example"));
            }),
            ErrorCode::issuer_mismatch);
}

TEST(OAuthAuthorizationServerMetadata, AnIssuerMismatchCarriesBothIssuersAsDetail) {
  try {
    parse_authorization_server_metadata(as_doc("https://auth.example.com/other"), kAsUrl,
                                        std::string("https://auth.example.com/tenant1"));
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch);
    EXPECT_EQ(e.detail().expected_issuer, "https://auth.example.com/tenant1");
    EXPECT_EQ(e.detail().received_issuer, "https://auth.example.com/other");
  }
}

TEST(OAuthAuthorizationServerMetadata, NoExpectedIssuerSkipsTheComparison) {
  const auto m = parse_authorization_server_metadata(as_doc("https://other.example"), kAsUrl, std::nullopt);
  EXPECT_EQ(m.issuer, "https://other.example");
}

TEST(OAuthAuthorizationServerMetadata, MissingIssuerOrEndpointsIsInvalid) {
  const std::optional<std::string> none;
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(
                  R"({"authorization_endpoint":"https://a/authorize","token_endpoint":"https://a/token"})", kAsUrl,
                  none);
            }),
            ErrorCode::invalid_metadata);
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(R"({"issuer":"https://a","token_endpoint":"https://a/token"})",
                                                  kAsUrl, std::string("https://a"));
            }),
            ErrorCode::invalid_metadata);
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(
                  R"({"issuer":"https://a","authorization_endpoint":"https://a/authorize"})", kAsUrl,
                  std::string("https://a"));
            }),
            ErrorCode::invalid_metadata);
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(
                  R"({"issuer":"https://a","authorization_endpoint":"","token_endpoint":"https://a/token"})", kAsUrl,
                  std::string("https://a"));
            }),
            ErrorCode::invalid_metadata);
}

TEST(OAuthAuthorizationServerMetadata, NotJsonOrTooLargeIsInvalid) {
  EXPECT_EQ(error_code_of([&] { parse_authorization_server_metadata("not json", kAsUrl, std::nullopt); }),
            ErrorCode::invalid_metadata);
  EXPECT_EQ(error_code_of([&] { parse_authorization_server_metadata("[]", kAsUrl, std::nullopt); }),
            ErrorCode::invalid_metadata);
  const std::string big =
      as_doc("https://auth.example.com", R"(,"pad":")" + std::string(kMaxMetadataBytes, 'x') + "\"");
  EXPECT_EQ(error_code_of([&] { parse_authorization_server_metadata(big, kAsUrl, std::nullopt); }),
            ErrorCode::invalid_metadata);
}

TEST(OAuthAuthorizationServerMetadata, HttpEndpointOffLoopbackIsInsecure) {
  for (const std::string field : {"authorization_endpoint", "token_endpoint", "registration_endpoint",
                                  "revocation_endpoint", "device_authorization_endpoint"}) {
    Json doc = Json::parse(as_doc("https://auth.example.com"));
    doc[field] = "http://auth.example.com/" + field;
    EXPECT_EQ(error_code_of([&] {
                parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com"));
              }),
              ErrorCode::insecure_url)
        << field;
  }
}

TEST(OAuthAuthorizationServerMetadata, HttpOnLoopbackIsAccepted) {
  for (const std::string host : {"127.0.0.1:9000", "localhost:9000", "[::1]:9000"}) {
    const std::string issuer = "http://" + host;
    const std::string body = R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + issuer +
                             R"(/authorize","token_endpoint":")" + issuer + R"(/token","registration_endpoint":")" +
                             issuer + R"(/register","code_challenge_methods_supported":["S256"]})";
    AuthorizationServerMetadata m;
    ASSERT_NO_THROW(
        m = parse_authorization_server_metadata(body, issuer + "/.well-known/oauth-authorization-server", issuer))
        << host;
    EXPECT_EQ(m.token_endpoint, issuer + "/token");
    EXPECT_EQ(m.registration_endpoint, issuer + "/register");
  }
}

TEST(OAuthAuthorizationServerMetadata, NonHttpEndpointSchemesAreInsecure) {
  for (const std::string url : {"javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd",
                                "ftp://auth.example.com/authorize", "/relative/authorize"}) {
    Json doc = Json::parse(as_doc("https://auth.example.com"));
    doc["authorization_endpoint"] = url;
    EXPECT_EQ(error_code_of([&] {
                parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com"));
              }),
              ErrorCode::insecure_url)
        << url;
  }
}

TEST(OAuthAuthorizationServerMetadata, AuthorizationEndpointWithFragmentIsInvalid) {
  Json doc = Json::parse(as_doc("https://auth.example.com"));
  doc["authorization_endpoint"] = "https://auth.example.com/authorize#frag";
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com"));
            }),
            ErrorCode::invalid_metadata);
}

TEST(OAuthAuthorizationServerMetadata, ResponseTypesWithoutCodeIsInvalid) {
  Json doc = Json::parse(as_doc("https://auth.example.com"));
  doc["response_types_supported"] = {"token", "id_token"};
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com"));
            }),
            ErrorCode::invalid_metadata);
  doc["response_types_supported"] = Json::array();
  EXPECT_EQ(error_code_of([&] {
              parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com"));
            }),
            ErrorCode::invalid_metadata);
  doc["response_types_supported"] = {"code id_token", "code"};
  EXPECT_NO_THROW(parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com")));
}

// ---- PKCE support ------------------------------------------------------------

TEST(OAuthRequirePkceS256, AbsentListIsUnsupported) {
  Json doc = Json::parse(as_doc("https://auth.example.com"));
  doc.erase("code_challenge_methods_supported");
  const auto m = parse_authorization_server_metadata(doc.dump(), kAsUrl, std::string("https://auth.example.com"));
  ASSERT_FALSE(m.code_challenge_methods_supported.has_value());
  EXPECT_EQ(error_code_of([&] { require_pkce_s256(m); }), ErrorCode::pkce_unsupported);
}

TEST(OAuthRequirePkceS256, ListWithoutS256IsUnsupported) {
  AuthorizationServerMetadata m;
  m.issuer = "https://auth.example.com";
  m.code_challenge_methods_supported = Strings{"plain"};
  EXPECT_EQ(error_code_of([&] { require_pkce_s256(m); }), ErrorCode::pkce_unsupported);
  m.code_challenge_methods_supported = Strings{};
  EXPECT_EQ(error_code_of([&] { require_pkce_s256(m); }), ErrorCode::pkce_unsupported);
  m.code_challenge_methods_supported = Strings{"s256"};  // exact, case-sensitive value
  EXPECT_EQ(error_code_of([&] { require_pkce_s256(m); }), ErrorCode::pkce_unsupported);
}

TEST(OAuthRequirePkceS256, WithS256IsOk) {
  AuthorizationServerMetadata m;
  m.code_challenge_methods_supported = Strings{"plain", "S256"};
  EXPECT_NO_THROW(require_pkce_s256(m));
}

TEST(OAuthRequirePkceS256, DefaultsAreOk) {
  EXPECT_NO_THROW(require_pkce_s256(default_authorization_server_metadata("https://mcp.example.com/mcp")));
  AuthorizationServerMetadata m;
  m.from_defaults = true;  // no document to ask, even with no list
  EXPECT_NO_THROW(require_pkce_s256(m));
}

// ---- 2025-03-26 defaults -----------------------------------------------------

// The three endpoints 2025-03-26 places at the server's origin.
void expect_endpoints_at(const AuthorizationServerMetadata& m, const std::string& origin) {
  EXPECT_EQ(m.authorization_endpoint, origin + "/authorize");
  EXPECT_EQ(m.token_endpoint, origin + "/token");
  EXPECT_EQ(m.registration_endpoint, origin + "/register");
}

TEST(OAuthDefaultMetadata, OriginEndpointsWithPathDropped) {
  const auto m = default_authorization_server_metadata("https://api.example.com/v1/mcp");
  EXPECT_EQ(m.issuer, "https://api.example.com");
  expect_endpoints_at(m, "https://api.example.com");
  EXPECT_TRUE(m.from_defaults);
  EXPECT_EQ(m.response_types_supported, Strings{"code"});

  expect_endpoints_at(default_authorization_server_metadata("https://mcp.example.com/sse?x=1"),
                      "https://mcp.example.com");

  const auto port = default_authorization_server_metadata("http://127.0.0.1:8080/mcp");
  EXPECT_EQ(port.token_endpoint, "http://127.0.0.1:8080/token");
}

TEST(OAuthDefaultMetadata, PlainHttpOffLoopbackIsInsecure) {
  EXPECT_EQ(error_code_of([] { default_authorization_server_metadata("http://mcp.example.com/mcp"); }),
            ErrorCode::insecure_url);
}

// ---- require_secure_url --------------------------------------------------------

TEST(OAuthRequireSecureUrl, RejectsNonHttpSchemes) {
  for (const std::string url : {"javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html;base64,PGgxPg==",
                                "file:///etc/passwd", "ftp://example.com/x", "vbscript:msgbox", "", "example.com"}) {
    EXPECT_EQ(error_code_of([&] { require_secure_url(url, "authorization endpoint"); }), ErrorCode::insecure_url)
        << url;
  }
}

TEST(OAuthRequireSecureUrl, HttpOnlyOnLoopback) {
  EXPECT_NO_THROW(require_secure_url("https://example.com/x", "token endpoint"));
  EXPECT_NO_THROW(require_secure_url("http://127.0.0.1/x", "token endpoint"));
  EXPECT_NO_THROW(require_secure_url("http://127.5.6.7:99/x", "token endpoint"));
  EXPECT_NO_THROW(require_secure_url("http://localhost:8080/x", "token endpoint"));
  EXPECT_NO_THROW(require_secure_url("http://[::1]:8080/x", "token endpoint"));
  EXPECT_EQ(error_code_of([] { require_secure_url("http://example.com/x", "token endpoint"); }),
            ErrorCode::insecure_url);
  EXPECT_EQ(error_code_of([] { require_secure_url("http://10.0.0.1/x", "token endpoint"); }), ErrorCode::insecure_url);
  EXPECT_EQ(error_code_of([] { require_secure_url("http://localhost.evil.com/x", "token endpoint"); }),
            ErrorCode::insecure_url);
}

TEST(OAuthRequireSecureUrl, MessageNamesWhat) {
  try {
    require_secure_url("http://example.com/t", "token endpoint");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token endpoint"), std::string::npos) << e.what();
  }
}

}  // namespace

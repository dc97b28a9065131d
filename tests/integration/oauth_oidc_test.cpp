// Headless authorizations against a certified OpenID provider (panva's
// oidc-provider) whose issuer has a path, http://localhost:<port>/oidc, in
// front of an MCP resource server that verifies JWT access tokens against the
// provider's JWKS (tests/peers/oidc-server.mjs). $BROWSER is
// tests/peers/oidc-browser.mjs, which signs in on the provider's dev login
// form and consents, as a user would.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "library_login.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::as_requests;
using testing::browser;
using testing::cli;
using testing::describe;
using testing::get_json;
using testing::PeerProcess;
using testing::rs_requests;
using testing::run_command;

bool is_well_known(const Json& request) {
  return request.at("path").get<std::string>().find("/.well-known/") != std::string::npos;
}

TEST(OAuthOidc, BrowserPathsHaveNoSeparators) {
  const std::string value = browser();
  EXPECT_EQ(value.find(':'), std::string::npos) << value;
  EXPECT_EQ(std::string(MCPAUTH_PEERS_DIR).find(' '), std::string::npos) << MCPAUTH_PEERS_DIR;
}

TEST(OAuthOidc, LoginNamesTheIssuerWithItsPathAndTheScope) {
  PeerProcess peer("oidc-server.mjs");
  const auto r = run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Authorized " + peer.url()), std::string::npos) << r.out;
  std::smatch issuer;
  ASSERT_TRUE(std::regex_search(r.out, issuer, std::regex("issuer: +(http://localhost:[0-9]+/oidc)\n"))) << r.out;
  EXPECT_NE(r.out.find("scope:       mcp:tools\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("client:      dynamic"), std::string::npos) << r.out;
  // oidc-provider issues a refresh token only for offline_access with prompt=consent.
  EXPECT_NE(r.out.find("refreshable: yes"), std::string::npos) << r.out;
  // RFC 9207: the provider's authorization response named the issuer, path included, and mcpauth accepted it.
  EXPECT_NE(r.err.find("oidc-browser: redirected to the callback with iss=" + issuer[1].str() + "\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("code_verifier"), std::string::npos);
}

// Every MCP request after the first (unauthenticated, 401) carried `scheme` and was not refused.
void expect_all_authorized_with(const Json& requests, const std::string& scheme) {
  ASSERT_GE(requests.size(), 2u) << requests.dump();
  EXPECT_EQ(requests[0].at("scheme"), "") << requests.dump();
  EXPECT_EQ(requests[0].at("status"), 401) << requests.dump();
  for (std::size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].at("scheme"), scheme) << requests.dump();
    EXPECT_NE(requests[i].at("status"), 401) << requests.dump();
    EXPECT_NE(requests[i].at("status"), 403) << requests.dump();
  }
}

int token_requests(const Json& requests) {
  int n = 0;
  for (const auto& req : requests) n += req.at("path") == "/oidc/token" ? 1 : 0;
  return n;
}

// `mcpauth call <peer> echo {"text": text}` prints the text after one token
// request, and every MCP request after the first carried `scheme`.
void expect_echo_call_authorized_with(const PeerProcess& peer, const std::string& text, const std::string& scheme) {
  const auto r = run_command(cli({"call", peer.url(), "echo", Json{{"text", text}}.dump()}), {"BROWSER=" + browser()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, text + "\n");
  EXPECT_EQ(token_requests(as_requests(peer)), 1) << describe(as_requests(peer));
  expect_all_authorized_with(rs_requests(peer), scheme);
}

TEST(OAuthOidc, CallAuthorizesOnDemandAndTheResourceServerAcceptsTheJwt) {
  PeerProcess peer("oidc-server.mjs");
  expect_echo_call_authorized_with(peer, "x", "Bearer");
}

TEST(OAuthOidc, ADpopBoundTokenIsSentWithValidProofs) {
  // oidc-provider offers DPoP (ES256) by default: mcpauth then binds the
  // token to a key, and the resource server takes it only as `DPoP` with a
  // fresh, valid proof on every request.
  PeerProcess peer("oidc-server.mjs", {"--dpop"});
  expect_echo_call_authorized_with(peer, "bound", "DPoP");
}

TEST(OAuthOidc, MetadataIsFoundAtThePathAppendedOpenIdLocation) {
  // The provider serves only /oidc/.well-known/openid-configuration: the two
  // path-inserted candidates are tried first and answer 404.
  PeerProcess peer("oidc-server.mjs");
  const auto r = run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json requests = as_requests(peer);
  ASSERT_GE(requests.size(), 4u) << describe(requests);
  const Json expected = Json::parse(R"([
    {"method": "GET", "path": "/.well-known/oauth-authorization-server/oidc", "status": 404},
    {"method": "GET", "path": "/.well-known/openid-configuration/oidc", "status": 404},
    {"method": "GET", "path": "/oidc/.well-known/openid-configuration", "status": 200},
    {"method": "POST", "path": "/oidc/reg", "status": 201}
  ])");
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(requests[i], expected[i]) << describe(requests);
  for (std::size_t i = expected.size(); i < requests.size(); ++i) {
    EXPECT_FALSE(is_well_known(requests[i])) << describe(requests);
  }
}

TEST(OAuthOidc, MetadataIsFoundAtThePathInsertedRfc8414Location) {
  PeerProcess peer("oidc-server.mjs", {"--rfc8414"});
  const auto r = run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/oidc\n"), std::string::npos) << r.out;
  const Json requests = as_requests(peer);
  ASSERT_GE(requests.size(), 2u) << describe(requests);
  EXPECT_EQ(requests[0], Json::parse(R"({"method": "GET", "path": "/.well-known/oauth-authorization-server/oidc",
                                         "status": 200})"))
      << describe(requests);
  for (std::size_t i = 1; i < requests.size(); ++i) EXPECT_FALSE(is_well_known(requests[i])) << describe(requests);
}

TEST(OAuthOidc, DeniedConsentIsAnAuthorizationErrorAndNoTokenIsRequested) {
  PeerProcess peer("oidc-server.mjs");
  const auto r = run_command(cli({"tools", peer.url()}), {"BROWSER=" + browser("--deny")});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("access_denied"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const Json requests = as_requests(peer);
  for (const auto& req : requests) EXPECT_NE(req.at("path"), "/oidc/token") << describe(requests);
}

TEST(OAuthOidc, TheResourceServerRefusesAnUnsignedToken) {
  // A token of the right shape and claims but without a signature (alg none):
  // the resource server must refuse it. A static Authorization header turns
  // mcpauth's OAuth off, so this is one attempt and no authorization.
  PeerProcess peer("oidc-server.mjs");
  const Json prm = get_json(peer.url("/.well-known/oauth-protected-resource/mcp"));
  const std::string issuer = prm.at("authorization_servers").at(0);
  ASSERT_TRUE(std::regex_match(issuer, std::regex("http://localhost:[0-9]+/oidc"))) << issuer;
  const std::string header = core::oauth::base64url(std::string_view(R"({"alg":"none","typ":"at+jwt"})"));
  const std::string claims =
      Json{{"iss", issuer}, {"sub", "x"}, {"aud", peer.url()}, {"scope", "mcp:tools"}, {"exp", 4102444800}}.dump();
  const std::string token = header + "." + core::oauth::base64url(std::string_view(claims)) + ".";
  const auto r = run_command(cli({"tools", peer.url(), "-H", "Authorization: Bearer " + token}));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
  // The resource server may have fetched the provider's JWKS; nobody authorized.
  const Json requests = as_requests(peer);
  for (const auto& req : requests) EXPECT_EQ(req.at("path"), "/oidc/jwks") << describe(requests);
  const Json rs = rs_requests(peer);
  ASSERT_EQ(rs.size(), 1u) << rs.dump();
  EXPECT_EQ(rs[0].at("scheme"), "Bearer");
  EXPECT_EQ(rs[0].at("status"), 401);
}

TEST(OAuthOidc, TheLibraryAuthorizesOnceForTheResourceVerbatim) {
  PeerProcess peer("oidc-server.mjs");
  const auto login = testing::log_in_through_the_library(peer, browser());
  EXPECT_EQ(login.authorizer->authorizations(), 1);
  const auto& info = login.info;
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(std::regex_match(info->issuer, std::regex("http://localhost:[0-9]+/oidc"))) << info->issuer;
  EXPECT_EQ(info->resource, peer.url()) << "RFC 8707 resource is the PRM resource, verbatim";
  EXPECT_EQ(info->scope, "mcp:tools");
  EXPECT_TRUE(info->has_refresh_token);
  EXPECT_TRUE(info->expires_at.has_value());
}

// A scope that belongs to the resource server (RFC 8707) and is not one of
// the provider's own scopes (scopes_supported lists openid and offline_access
// only) must stay out of the registration request: oidc-provider refuses it
// there with invalid_client_metadata, although it grants it on the
// authorization request. mcpauth registers only scopes the AS lists.
TEST(OAuthOidc, RegistrationSucceedsWhenTheScopeBelongsOnlyToTheResourceServer) {
  PeerProcess peer("oidc-server.mjs", {"--no-client-scope-check"});
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"x"})"}), {"BROWSER=" + browser()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x\n");
}

}  // namespace
}  // namespace mcpauth

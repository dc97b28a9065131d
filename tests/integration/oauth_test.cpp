// Full headless authorizations against a real OAuth-protected MCP server
// built from the TypeScript SDK's authorization router
// (tests/peers/oauth-server.mjs). $BROWSER is a script that follows the
// authorization server's redirects to mcpauth's loopback callback, as a
// user's browser would after consent.
#include <gtest/gtest.h>

#include <cstdlib>

#include "library_login.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::PeerProcess;
using testing::run_command;

TEST(OAuth, LoginRunsTheWholeFlowAndReportsTheGrant) {
  PeerProcess peer("oauth-server.mjs");
  const auto r = run_command(cli({"login", peer.url()}), {testing::follow_browser_env()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Authorized " + peer.url()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("issuer:      http://localhost:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mcp:tools"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("client:      dynamic"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("code_challenge_method=S256"), std::string::npos) << "the URL is printed for the user";
  EXPECT_EQ(r.err.find("code_verifier"), std::string::npos);
}

TEST(OAuth, CallAuthorizesOnDemand) {
  PeerProcess peer("oauth-server.mjs");
  const auto r =
      run_command(cli({"call", peer.url(), "echo", R"({"text":"behind oauth"})"}), {testing::follow_browser_env()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "behind oauth\n");
}

TEST(OAuth, NoAuthGivesTheAuthorizationExitCode) {
  PeerProcess peer("oauth-server.mjs");
  const auto r = run_command(cli({"tools", "--no-auth", peer.url()}));
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
}

TEST(OAuth, AbandonedConsentTimesOutWithAClearError) {
  PeerProcess peer("oauth-server.mjs");
  const auto r = run_command(cli({"tools", "--no-browser", "--consent-timeout", "1", peer.url()}));
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("nobody completed the authorization"), std::string::npos) << r.err;
}

TEST(OAuth, TheLibraryAuthorizesOnceAndReusesTheToken) {
  PeerProcess peer("oauth-server.mjs");
  const auto login = testing::log_in_through_the_library(peer, testing::follow_browser());
  EXPECT_EQ(login.authorizer->authorizations(), 1) << "two requests, one authorization";
  const auto& info = login.info;
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->resource, peer.url()) << "RFC 8707 resource is the PRM resource, verbatim";
  EXPECT_EQ(info->scope, "mcp:tools");
  EXPECT_TRUE(info->expires_at.has_value());
}

TEST(OAuth, AServerWithoutAnAuthorizerIsRefusedNotLooped) {
  PeerProcess peer("oauth-server.mjs");
  auth::AuthorizerOptions options;
  options.server_url = peer.url();
  options.http = std::make_shared<net::CurlHttpClient>();  // no consent handler: cannot ask the user
  auto authorizer = std::make_shared<auth::Authorizer>(options);
  try {
    mcp::Session::connect({.url = peer.url(), .authorizer = authorizer});
    FAIL() << "expected authorization_required";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
    // The library names the remedy; the words of a command are the CLI's.
    EXPECT_TRUE(e.remedies().has(Remedy::interactive_consent)) << e.what();
    EXPECT_EQ(std::string(e.what()).find("mcpauth login"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mcpauth

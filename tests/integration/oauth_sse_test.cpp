// OAuth over the legacy 2024-11-05 HTTP+SSE transport: the SDK's
// authorization router in front of an SSE server whose GET /sse, POST
// /messages and POST /sse all sit behind requireBearerAuth
// (tests/peers/oauth-server.mjs --sse). The resource is .../sse, and the peer
// refuses tokens issued for any other resource. $BROWSER follows the
// authorization server's redirects to mcpauth's loopback callback.
#include <gtest/gtest.h>

#include <cstdlib>

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

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

std::string encoded(const std::string& url) {
  std::string out;
  for (char c : url) {
    if (c == ':')
      out += "%3A";
    else if (c == '/')
      out += "%2F";
    else
      out += c;
  }
  return out;
}

TEST(OAuthSse, CallOverTheLegacyTransportAuthorizesOnDemand) {
  PeerProcess peer("oauth-server.mjs", {"--sse"});
  const auto r = run_command(cli({"call", "--transport", "sse", peer.url("/sse"), "echo", R"({"text":"over sse"})"}),
                             {testing::follow_browser_env()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "over sse\n");
  EXPECT_EQ(count(r.err, "Authorize mcpauth for " + peer.url("/sse")), 1u) << r.err;
  EXPECT_NE(r.err.find("resource=" + encoded(peer.url("/sse"))), std::string::npos)
      << "RFC 8707 resource is the SSE endpoint's PRM resource\n"
      << r.err;
}

TEST(OAuthSse, AutoAuthorizesOnThePostThenFallsBackToSse) {
  // POST /sse answers 401 first (authorize), then 405 with the token: only then
  // does auto mode fall back to the legacy transport, with the same token.
  PeerProcess peer("oauth-server.mjs", {"--sse"});
  const auto r = run_command(cli({"call", "--transport", "auto", peer.url("/sse"), "echo", R"({"text":"x"})"}),
                             {testing::follow_browser_env()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x\n");
  EXPECT_EQ(count(r.err, "Authorize mcpauth for "), 1u) << "one authorization serves both transports\n" << r.err;
  EXPECT_EQ(count(r.err, "Registered mcpauth"), 1u) << r.err;
}

TEST(OAuthSse, NoAuthOnTheStreamGivesTheAuthorizationExitCode) {
  PeerProcess peer("oauth-server.mjs", {"--sse"});
  const auto r = run_command(cli({"tools", "--transport", "sse", "--no-auth", peer.url("/sse")}));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
}

TEST(OAuthSse, AutoNeverFallsBackOnA401) {
  PeerProcess peer("oauth-server.mjs", {"--sse"});
  const auto r = run_command(cli({"tools", "--transport", "auto", "--no-auth", peer.url("/sse")}));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
}

TEST(OAuthSse, TheLibraryAuthorizesOnceForTheStreamAndTheMessages) {
  PeerProcess peer("oauth-server.mjs", {"--sse"});
  ASSERT_EQ(setenv("BROWSER", testing::follow_browser().c_str(), 1), 0);
  auto http = std::make_shared<net::CurlHttpClient>();
  auth::AuthorizerOptions options;
  options.server_url = peer.url("/sse");
  options.http = http;
  options.consent = std::make_shared<auth::LoopbackConsent>(auth::LoopbackConsentOptions{.notify = [](auto&) {}});
  auto authorizer = std::make_shared<auth::Authorizer>(options);
  auto session = mcp::Session::connect(
      {.url = peer.url("/sse"), .transport = mcp::TransportKind::sse, .http = http, .authorizer = authorizer});
  EXPECT_EQ(session->list_tools().size(), 7u);
  EXPECT_EQ(session->call_tool("add", {{"a", 1}, {"b", 2}}).result.at("content").at(0).at("text"), "3");
  EXPECT_EQ(authorizer->authorizations(), 1);
  const auto info = authorizer->info();
  unsetenv("BROWSER");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->resource, peer.url("/sse"));
  EXPECT_EQ(info->scope, "mcp:tools");
  session->close();
}

}  // namespace
}  // namespace mcpauth

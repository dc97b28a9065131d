// --verbose, -v and MCPAUTH_LOG=debug against oidc-provider
// (tests/peers/oidc-server.mjs): the debug log names each HTTP exchange and
// each step of the authorization on stderr, and never a secret: not the
// access or refresh token (read back from the store), the authorization
// code, the PKCE verifier, nor a client secret; without either switch no
// debug line is printed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcpauth/core/oauth/encoding.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::browser;
using testing::cli;
using testing::lines_with;
using testing::PeerProcess;
using testing::run_command;
using testing::stored_tokens;

constexpr const char* kDebug = "mcpauth: debug: ";

void expect_no_secret(const testing::CommandResult& r, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    ASSERT_GT(secret.size(), 8u);
    EXPECT_EQ(r.err.find(secret), std::string::npos) << "a secret on stderr:\n" << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << "a secret on stdout:\n" << r.out;
  }
  // The code, the verifier and the state are never written by value.
  EXPECT_EQ(testing::secrets_in_debug_log(r.err), "");
}

TEST(Verbose, LoginLogsEachStepAndNoSecret) {
  PeerProcess peer("oidc-server.mjs");
  const auto r = run_command(cli({"login", peer.url(), "--verbose"}), {"BROWSER=" + browser()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  testing::expect_debug_lines(
      r.err, kDebug,
      {
          "POST " + peer.url() + " -> 401 (",
          "challenge Bearer resource_metadata=",
          "discovery: protected resource metadata at ",
          "discovery: resource " + peer.url() + " (metadata at ",
          "client: dynamic registration (RFC 7591) at ",
          "/oidc/reg -> 201 (",
          "client: keeping dynamic client ",
          "consent: waiting for the user at ",
          "token: authorization_code grant at ",
          "/oidc/token -> 200 (",
          "sent form{grant_type=authorization_code code=[redacted] ",
          "code_verifier=[redacted]",
          "got json{access_token expires_in=3600 refresh_token scope=mcp:tools token_type=Bearer}",
          "token: obtained from ",
          "credentials Bearer",
      });
  EXPECT_EQ(r.out.find("debug"), std::string::npos) << "never on stdout:\n" << r.out;
  const auto tokens = stored_tokens(peer.url());
  ASSERT_TRUE(tokens.refresh_token);
  expect_no_secret(r, {tokens.access_token, *tokens.refresh_token});
}

// MCPAUTH_LOG=debug is --verbose; without either no debug line is printed;
// -v works on the commands that are not about one connection too.
TEST(Verbose, TheEnvironmentSwitchesTheSameLogAndNothingIsLoggedOtherwise) {
  PeerProcess peer("oidc-server.mjs");
  ASSERT_EQ(run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()}).exit_code, 0);
  const auto tokens = stored_tokens(peer.url());
  ASSERT_TRUE(tokens.refresh_token);

  const auto quiet = run_command(cli({"tools", peer.url()}), {"BROWSER=/bin/false"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("debug"), std::string::npos) << quiet.err;

  const auto logged = run_command(cli({"tools", peer.url()}), {"BROWSER=/bin/false", "MCPAUTH_LOG=debug"});
  ASSERT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_FALSE(lines_with(logged.err, std::string(kDebug) + "POST " + peer.url() + " -> 200 (").empty()) << logged.err;
  EXPECT_FALSE(lines_with(logged.err, "method=tools/list").empty()) << logged.err;
  expect_no_secret(logged, {tokens.access_token, *tokens.refresh_token});

  const auto probe = run_command(cli({"probe", peer.url(), "-v"}));
  EXPECT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_FALSE(lines_with(probe.err, std::string(kDebug) + "POST " + peer.url() + " -> 401").empty()) << probe.err;

  const auto status = run_command(cli({"status", "-v"}));
  EXPECT_EQ(status.exit_code, 0) << status.err;

  // logout revokes the refresh token: the form names it, never its value.
  const auto logout = run_command(cli({"logout", peer.url(), "--verbose"}));
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_FALSE(lines_with(logout.err, "/oidc/token/revocation -> 200").empty()) << logout.err;
  EXPECT_FALSE(lines_with(logout.err, "sent form{token=[redacted] token_type_hint=refresh_token").empty())
      << logout.err;
  expect_no_secret(logout, {tokens.access_token, *tokens.refresh_token});
}

// A confidential client's secret travels in a Basic header: the log names the scheme only.
TEST(Verbose, AClientSecretNeverAppears) {
  const std::string secret = "r0b0t-very-secret";
  PeerProcess peer("oidc-server.mjs", {"--machine-client", "robot:" + secret});
  const auto r = run_command(cli({"login", peer.url(), "--client-credentials", "--client-id", "robot",
                                  "--client-secret", "${ROBOT_SECRET}", "-v"}),
                             {"BROWSER=/bin/false", "ROBOT_SECRET=" + secret});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(lines_with(r.err, "token: client_credentials grant at ").empty()) << r.err;
  EXPECT_FALSE(lines_with(r.err, "client authentication client_secret_basic").empty()) << r.err;
  EXPECT_FALSE(lines_with(r.err, "/oidc/token -> 200 (").empty()) << r.err;
  EXPECT_FALSE(lines_with(r.err, "credentials Basic").empty()) << r.err;
  const std::string basic = core::oauth::basic_credentials("robot", secret);
  expect_no_secret(r, {secret, basic, stored_tokens(peer.url()).access_token});
}

}  // namespace
}  // namespace mcpauth

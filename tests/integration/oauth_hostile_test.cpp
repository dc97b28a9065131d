// Hostile servers against discovery (issue 11, items 1, 7 and 13), with
// tests/peers/mixup-server.mjs: a 2025-03-26 server claiming another
// authorization server's issuer, metadata pointing at cloud metadata
// services, and a resource that cannot take DPoP-bound tokens. The peer's
// request log (GET /__log) shows what reached it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::cli;
using testing::PeerProcess;
using testing::run_command;
using testing::test_home;

Json request_log(const PeerProcess& peer) {
  return testing::get_json(peer.url("/__log"));
}

int count_path(const Json& log, const std::string& path) {
  int n = 0;
  for (const auto& entry : log) n += entry.at("path") == path ? 1 : 0;
  return n;
}

// One `mcpauth tools` against mixup-server.mjs started with `args`, with
// $BROWSER set by `browser_env`; the peer stays up for its request log.
struct ToolsAgainstMixup {
  explicit ToolsAgainstMixup(const std::vector<std::string>& args,
                             const std::string& browser_env = testing::follow_browser_env())
      : peer("mixup-server.mjs", args),
        result(run_command(cli({"tools", peer.url()}), {browser_env}, std::chrono::seconds(30))) {}
  Json log() const { return request_log(peer); }

  PeerProcess peer;
  testing::CommandResult result;
};

// ---------------------------------------------------------------- item 1

TEST(OAuthHostile, ALegacyServerClaimingAnotherIssuerNeverGetsThatIssuersClient) {
  // The victim: a confidential client of another authorization server, stored by an earlier login.
  const std::string victim_issuer = "https://as.victim.example";
  const std::string secret = "victim-client-secret-0123456789";
  {
    store::SqliteStoreOptions options;
    options.path = fs::path(test_home()) / "data" / "mcpauth" / "tokens.db";
    options.use_keyring = false;
    core::oauth::ClientRegistration client;
    client.issuer = victim_issuer;
    client.client_id = "victim-client";
    client.client_secret = secret;
    client.token_endpoint_auth_method = "client_secret_basic";
    client.kind = core::oauth::ClientKind::pre_registered;
    store::open_sqlite_token_store(options)->save_client(client);
  }
  // A server without protected resource metadata whose root metadata claims that issuer.
  const ToolsAgainstMixup run({"--mode", "legacy-claims-issuer", "--claim", victim_issuer});
  EXPECT_EQ(run.result.exit_code, 6) << run.result.err;
  EXPECT_NE(run.result.err.find("the issuer must be the server's origin"), std::string::npos) << run.result.err;
  EXPECT_EQ(run.result.err.find(secret), std::string::npos);

  const Json log = run.log();
  EXPECT_EQ(count_path(log, "/authorize"), 0) << log.dump(1);
  EXPECT_EQ(count_path(log, "/token"), 0) << log.dump(1);
  for (const auto& entry : log) {
    EXPECT_TRUE(entry.at("authorization").is_null()) << "a credential reached the hostile server: " << log.dump(1);
  }
}

// ---------------------------------------------------------------- item 7

TEST(OAuthHostile, AnAuthorizationServerOnACloudMetadataAddressIsNeverFetched) {
  const ToolsAgainstMixup run({"--mode", "prm-link-local"}, "BROWSER=/bin/false");
  EXPECT_EQ(run.result.exit_code, 6) << run.result.err;
  EXPECT_NE(run.result.err.find("https://169.254.169.254"), std::string::npos) << run.result.err;
  EXPECT_NE(run.result.err.find("metadata-service"), std::string::npos) << run.result.err;
}

TEST(OAuthHostile, AResourceMetadataUrlOnAnIpv4MappedMetadataAddressIsNeverFetched) {
  const ToolsAgainstMixup run({"--mode", "challenge-link-local"}, "BROWSER=/bin/false");
  EXPECT_EQ(run.result.exit_code, 6) << run.result.err;
  EXPECT_NE(run.result.err.find("169.254.169.254"), std::string::npos) << run.result.err;
  // Nothing was guessed instead of the named document.
  const Json log = run.log();
  EXPECT_EQ(count_path(log, "/.well-known/oauth-authorization-server"), 0) << log.dump(1);
}

TEST(OAuthHostile, RequestsARemoteServerDirectsAreRefusedAtTheSocketWhenTheyResolveToLoopback) {
  // The MCP server is not on this machine, so a URL its metadata names on
  // loopback is refused, by name ("localhost") or by address, before any
  // byte is sent: the peer sees nothing.
  PeerProcess peer("mixup-server.mjs", {"--mode", "as-dpop-rs-bearer"});
  auto http = std::make_shared<net::CurlHttpClient>();
  auth::RestrictedHttpClient restricted(http, "https://mcp.example.test/mcp");
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    net::HttpRequest request;
    request.url = "http://" + host + ":" + std::to_string(peer.port()) + "/.well-known/oauth-authorization-server";
    request.total_timeout = std::chrono::seconds(5);
    try {
      restricted.send(request);
      ADD_FAILURE() << request.url << " was fetched";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::insecure_url) << e.what();
      EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(request_log(peer).size(), 0u) << request_log(peer).dump(1);

  // The same request for an MCP server that is itself on loopback goes through.
  auth::RestrictedHttpClient local(http, peer.url());
  net::HttpRequest request;
  request.url = "http://localhost:" + std::to_string(peer.port()) + "/.well-known/oauth-authorization-server";
  request.total_timeout = std::chrono::seconds(5);
  EXPECT_EQ(local.send(request).status, 200);
}

// ---------------------------------------------------------------- item 13

TEST(OAuthHostile, AnAuthorizationServerOfferingDpopDoesNotMakeABearerOnlyResourceFail) {
  const ToolsAgainstMixup run({"--mode", "as-dpop-rs-bearer"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_NE(run.result.out.find("echo"), std::string::npos) << run.result.out;
  const Json log = run.log();
  EXPECT_EQ(count_path(log, "/token"), 1) << log.dump(1);
  for (const auto& entry : log) {
    if (entry.at("path") == "/token") EXPECT_FALSE(entry.at("dpop").get<bool>()) << "a DPoP proof was sent";
    if (entry.at("authorization").is_string()) {
      EXPECT_EQ(entry.at("authorization").get<std::string>().rfind("Bearer ", 0), 0u) << log.dump(1);
    }
  }
}

TEST(OAuthHostile, ADpopBoundTokenRefusedByABearerOnlyResourceIsReplacedByABearerToken) {
  const ToolsAgainstMixup run({"--mode", "dpop-then-bearer-only"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_NE(run.result.err.find("accepts only Bearer tokens"), std::string::npos) << run.result.err;
  const Json log = run.log();
  int bound = 0;
  int plain = 0;
  for (const auto& entry : log) {
    if (entry.at("path") == "/token") ++(entry.at("dpop").get<bool>() ? bound : plain);
  }
  EXPECT_EQ(bound, 1) << log.dump(1);
  EXPECT_EQ(plain, 1) << log.dump(1);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().at("authorization").get<std::string>().rfind("Bearer ", 0), 0u) << log.dump(1);
}

}  // namespace
}  // namespace mcpauth

// Two `mcpauth gateway` processes on ONE PostgreSQL store (a PostgreSQL 15
// of the test's own, postgres_fixture.hpp) in front of oidc-provider
// (tests/peers/oidc-server.mjs), which rotates refresh tokens and revokes
// the whole grant when a rotated one is presented again (issue 14: "2,000
// requests split across both arriving at token expiry ... exactly one
// refresh and no revoked grant").
//
// The grant is authorized once (`mcpauth login --store`), with access tokens
// of a short lifetime; both gateways start while it is fresh. Once it has
// expired, 2,000 tools/call requests from 40 local clients (20 per gateway)
// leave at once. The authorization server must see exactly one
// refresh_token grant, no request may fail, no grant is revoked, and a
// further call through each gateway succeeds. And one instance SIGKILLed
// while it holds the grant's lock mid-refresh loses no grant.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using mcp::Json;
using testing::GatewayProcess;
using testing::PeerProcess;
using testing::PostgresServer;

constexpr int kAccessTtl = 20;  // seconds: long enough to start both gateways on a slow machine
constexpr int kClientsPerGateway = 20;
constexpr int kCallsPerClient = 50;  // 2 x 20 x 50 = 2,000 calls

std::unique_ptr<mcp::Session> connect(const std::string& url) {
  mcp::SessionOptions options;
  options.url = url;
  options.request_timeout = std::chrono::seconds(60);
  return mcp::Session::connect(options);
}

// The grant the login stored, read back through the store (the key file the login created).
store::GrantRecord stored_grant(const std::string& url) {
  store::PostgresStoreOptions options;
  options.url = url;
  options.key_file = fs::path(testing::test_home()) / "data" / "mcpauth" / "postgres.key";
  const auto grants = store::open_postgres_token_store(options)->list_grants();
  if (grants.size() != 1)
    throw std::runtime_error("expected one grant in the store, found " + std::to_string(grants.size()));
  return grants[0];
}

std::string events_of(const PeerProcess& peer) {
  std::string log;
  for (const auto& e : testing::as_events(peer)) log += "  " + e.dump() + "\n";
  return log;
}

// A grant authorized once into a PostgreSQL store of its own, with access
// tokens of kAccessTtl seconds, and two gateways on that store, started
// while the token is fresh.
class GatewaySharedPostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto login =
        testing::run_command(testing::cli({"login", peer.url(), "--store", url}), {"BROWSER=" + testing::browser()});
    ASSERT_EQ(login.exit_code, 0) << login.err;
    expires_at = stored_grant(url).tokens.expires_at;
    ASSERT_TRUE(expires_at);
    const std::string config = testing::write_config("two-gateways", {{"secure", {{"url", peer.url()}}}});
    first = std::make_unique<GatewayProcess>(config, std::vector<std::string>{"--store", url});
    second = std::make_unique<GatewayProcess>(config, std::vector<std::string>{"--store", url});
    ASSERT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/token", "refresh_token"), 0)
        << "a refresh before the expiry (the machine took longer than half the token's lifetime to start both)";
  }

  // Until the access token has expired: this waits for the clock, not for a
  // process. Tokens issued after it live long: one expiry is the point.
  void wait_for_expiry() {
    std::this_thread::sleep_until(*expires_at + std::chrono::seconds(1));
    testing::set_access_ttl(peer, 3600);
  }

  std::string log() {
    return testing::describe(testing::as_requests(peer)) + "events:\n" + events_of(peer) + "first:\n" +
           (first ? first->command().err() : "") + "second:\n" + second->command().err();
  }

  // Exactly one refresh_token grant reached the provider and succeeded, no
  // grant was revoked, and the store holds the refreshed grant.
  void expect_one_refresh_and_a_live_grant() {
    const Json requests = testing::as_requests(peer);
    EXPECT_EQ(testing::count_requests(requests, "/oidc/token", "refresh_token"), 1) << log();
    EXPECT_EQ(testing::count_requests(requests, "/oidc/token", "authorization_code"), 1) << log();
    for (const auto& r : requests) {
      if (r.contains("grant_type")) EXPECT_EQ(r.value("status", 0), 200) << log();
    }
    for (const auto& e : testing::as_events(peer)) {
      EXPECT_NE(e.value("event", ""), "grant.revoked") << log();
      EXPECT_NE(e.value("error", Json()), Json("invalid_grant")) << log();
    }
    const auto grant = stored_grant(url);
    EXPECT_FALSE(grant.error);
    ASSERT_TRUE(grant.tokens.expires_at);
    EXPECT_GT(*grant.tokens.expires_at, *expires_at + std::chrono::minutes(30)) << "the refreshed token is not stored";
  }

  PostgresServer server;
  std::string url = server.create_database("two_gateways");
  PeerProcess peer{"oidc-server.mjs", {"--access-ttl", std::to_string(kAccessTtl)}};
  std::optional<store::Clock::time_point> expires_at;
  std::unique_ptr<GatewayProcess> first;
  std::unique_ptr<GatewayProcess> second;
};

TEST_F(GatewaySharedPostgresStore, TwoThousandRequestsAtExpiryAcrossTwoInstancesRefreshOnceAndKeepTheGrant) {
  wait_for_expiry();
  std::vector<GatewayProcess*> gateways = {first.get(), second.get()};
  const int clients = kClientsPerGateway * static_cast<int>(gateways.size());
  std::latch start(clients);
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  std::vector<std::string> failures(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    const std::string endpoint = gateways[i % gateways.size()]->url("/servers/secure/mcp");
    threads.emplace_back([&, i, endpoint] {
      start.arrive_and_wait();  // every client's first request leaves at once, at expiry
      try {
        auto session = connect(endpoint);
        for (int c = 0; c < kCallsPerClient; ++c) {
          const std::string text = "client " + std::to_string(i) + " call " + std::to_string(c);
          const auto r = session->call_tool("echo", {{"text", text}});
          if (r.result["content"][0]["text"] == text) ++ok;
        }
        session->close();
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
      ++finished;
    });
  }
  // The gateways' output pipes are drained meanwhile, so neither blocks on a full one.
  while (finished.load() < clients) {
    for (auto* gw : gateways) gw->command().read_output(std::chrono::milliseconds(50));
  }
  for (auto& t : threads) t.join();

  for (int i = 0; i < clients; ++i) EXPECT_EQ(failures[i], "") << "client " << i;
  EXPECT_EQ(ok.load(), clients * kCallsPerClient);
  expect_one_refresh_and_a_live_grant();
  // The grant is alive: a further call through each instance succeeds.
  for (auto* gw : gateways) {
    auto session = connect(gw->url("/servers/secure/mcp"));
    EXPECT_EQ(session->call_tool("echo", {{"text", "after"}}).result["content"][0]["text"], "after");
    session->close();
  }
  EXPECT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/token", "refresh_token"), 1) << log();
}

// SIGKILL of the instance that holds the grant's lock mid-refresh: its
// refresh request is held at the authorization server (the peer's
// /test/hold-token) until the instance is dead, and never reaches the
// provider. The database ends the dead instance's transaction, so the other
// instance takes the lock at once, refreshes with the unspent refresh token,
// and the grant lives on.
TEST_F(GatewaySharedPostgresStore, AnInstanceKilledMidRefreshLosesNoGrant) {
  wait_for_expiry();
  ASSERT_EQ(testing::http("POST", peer.url("/test/hold-token")).status, 200);
  std::string killed_call;
  std::thread doomed([&, endpoint = first->url("/servers/secure/mcp")] {
    try {
      (void)connect(endpoint)->call_tool("echo", {{"text", "never answered"}});
    } catch (const std::exception& e) {
      killed_call = e.what();
    }
  });
  // The first instance is inside its refresh (holding the lock) once its token request is held.
  const auto held = testing::http("GET", peer.url("/test/held"));
  ASSERT_EQ(held.status, 200) << held.body;
  first->command().send_signal(SIGKILL);
  first->command().finish();
  doomed.join();
  EXPECT_NE(killed_call, "") << "the call through the killed instance was answered";
  first.reset();
  ASSERT_EQ(testing::http("POST", peer.url("/test/release-held")).status, 200);

  auto session = connect(second->url("/servers/secure/mcp"));
  EXPECT_EQ(session->call_tool("echo", {{"text", "after the kill"}}).result["content"][0]["text"], "after the kill");
  session->close();
  expect_one_refresh_and_a_live_grant();
}

}  // namespace
}  // namespace mcpauth

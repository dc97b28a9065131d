// Issue 14, browser flows across instances: two `mcpauth gateway` processes
// on ONE PostgreSQL store (a PostgreSQL 15 of the test's own) in front of
// oidc-provider (tests/peers/oidc-server.mjs). Authorize is pressed on the
// first instance; the user's consent (tests/peers/oidc-browser.mjs
// --print-redirect) ends on a redirect to the first instance's
// /oauth/callback, which the test delivers to the SECOND instance (same path
// and query, other port: what a load balancer does). The second hands it to
// the first through the store (mcpauth_browser_flows), the first runs the
// token exchange with the PKCE verifier it never wrote down, and the second's
// page reports how it ended. Also: return_to, a replay on either instance,
// the first instance SIGKILLed mid-flow, and no state or code in clear in
// the database.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "gateway_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::GatewayProcess;
using testing::http;

// 64 hex digits: the store key every instance is given (never printed).
const std::string kFlowRelayKey = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
const std::string kFlowRelayReturnPrefix = "http://127.0.0.1:9/host-app/";

std::string flow_relay_query_value(const std::string& url, const std::string& name) {
  std::smatch m;
  const std::regex pattern("[?&]" + name + "=([^&]*)");
  return std::regex_search(url, m, pattern) ? m[1].str() : "";
}

class GatewayFlowRelay : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::write_config("flow-relay", {{"secure", {{"url", peer_.url()}}}});
    first_ = start();
    second_ = start();
  }

  std::unique_ptr<GatewayProcess> start() {
    return std::make_unique<GatewayProcess>(
        config_, std::vector<std::string>{"--store", url_, "--allowed-return-url", kFlowRelayReturnPrefix},
        std::vector<std::string>{"MCPAUTH_KEY=" + kFlowRelayKey});
  }

  // POST /api/servers/secure/authorize on `gw`: the authorization URL.
  std::string authorize(GatewayProcess& gw, const Json& body = Json::object()) {
    const auto state = http("GET", gw.url("/api/state"));
    EXPECT_EQ(state.status, 200) << state.body;
    const net::HttpHeaders headers{{"X-CSRF-Token", Json::parse(state.body)["csrf"].get<std::string>()}};
    const auto r = http("POST", gw.url("/api/servers/secure/authorize"), body.dump(), headers);
    EXPECT_EQ(r.status, 200) << r.body;
    const Json answer = Json::parse(r.body);
    EXPECT_TRUE(answer.contains("authorization_url")) << r.body;
    return answer.value("authorization_url", "");
  }

  // The user's consent at the provider: the redirect it ends on (to `from`'s callback), not followed.
  std::string consent(const std::string& authorization_url) {
    const auto browser =
        testing::run_command({testing::node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs",
                              "--print-redirect", authorization_url});
    EXPECT_EQ(browser.exit_code, 0) << browser.err;
    return browser.out.substr(0, browser.out.find('\n'));
  }

  // The same redirect, sent by the load balancer to `to`.
  static std::string to_instance(const std::string& callback, const GatewayProcess& from, const GatewayProcess& to) {
    const std::string was = "127.0.0.1:" + std::to_string(from.port()) + "/oauth/callback";
    const auto at = callback.find(was);
    EXPECT_NE(at, std::string::npos) << "the redirect goes to the instance that started the flow";
    if (at == std::string::npos) return callback;
    return std::string(callback).replace(at, was.size(), "127.0.0.1:" + std::to_string(to.port()) + "/oauth/callback");
  }

  long relay_rows() { return std::stol(server_.psql("flow_relay", "SELECT count(*) FROM mcpauth_browser_flows")); }

  // Every row of every mcpauth table, as text.
  std::string database_text() {
    std::string all;
    for (const char* table : {"mcpauth_keys", "mcpauth_clients", "mcpauth_tokens", "mcpauth_discovery", "mcpauth_flows",
                              "mcpauth_users", "mcpauth_browser_flows"}) {
      all += server_.psql("flow_relay", std::string("SELECT t::text FROM ") + table + " t");
    }
    return all;
  }

  void expect_not_in_database(const std::string& callback) {
    const std::string text = database_text();
    const std::string state = flow_relay_query_value(callback, "state");
    const std::string code = flow_relay_query_value(callback, "code");
    ASSERT_GE(state.size(), 16u) << callback;
    ASSERT_GE(code.size(), 16u) << callback;
    EXPECT_EQ(text.find(state), std::string::npos) << "the state in clear in the database";
    EXPECT_EQ(text.find(code), std::string::npos) << "the code in clear in the database";
  }

  void expect_tools_work(GatewayProcess& gw, const std::string& text) {
    mcp::SessionOptions options;
    options.url = gw.url("/servers/secure/mcp");
    options.request_timeout = std::chrono::seconds(30);
    auto session = mcp::Session::connect(options);
    EXPECT_EQ(session->call_tool("echo", {{"text", text}}).result["content"][0]["text"], text) << log();
    session->close();
  }

  std::string log() {
    return "first:\n" + (first_ ? first_->command().err() : std::string("(killed)")) + "second:\n" +
           second_->command().err();
  }

  testing::PostgresServer server_;
  std::string url_ = server_.create_database("flow_relay");
  testing::PeerProcess peer_{"oidc-server.mjs"};
  std::string config_;
  std::unique_ptr<GatewayProcess> first_;
  std::unique_ptr<GatewayProcess> second_;
};

TEST_F(GatewayFlowRelay, AFlowStartedOnOneInstanceCompletesThroughACallbackOnTheOther) {
  const std::string url = authorize(*first_);
  ASSERT_FALSE(url.empty());
  EXPECT_EQ(relay_rows(), 1) << "the flow's row";
  const std::string callback = consent(url);
  ASSERT_FALSE(callback.empty());
  expect_not_in_database(callback);

  const auto page = http("GET", to_instance(callback, *first_, *second_));
  EXPECT_EQ(page.status, 200) << page.body << log();
  EXPECT_NE(page.body.find("<h1>Authorized</h1>"), std::string::npos) << page.body << log();
  EXPECT_EQ(relay_rows(), 0) << "single use: the row is gone once its outcome was read";
  expect_not_in_database(callback);

  // The grant is the store's: both instances use it.
  expect_tools_work(*second_, "through the second");
  expect_tools_work(*first_, "through the first");

  // A replay is refused on either instance.
  for (GatewayProcess* gw : {second_.get(), first_.get()}) {
    const auto replay = http("GET", to_instance(callback, *first_, *gw));
    EXPECT_EQ(replay.status, 400) << replay.body;
    EXPECT_NE(replay.body.find("Not expected"), std::string::npos) << replay.body;
  }
  for (const std::string& text : {first_->command().err(), second_->command().err()}) {
    EXPECT_EQ(text.find(flow_relay_query_value(callback, "code")), std::string::npos) << "a code in a log";
    EXPECT_EQ(text.find(flow_relay_query_value(callback, "state")), std::string::npos) << "a state in a log";
  }
}

TEST_F(GatewayFlowRelay, TheOtherInstanceSendsTheBrowserToReturnTo) {
  const std::string return_to = kFlowRelayReturnPrefix + "settings?tab=servers";
  const std::string url = authorize(*first_, Json{{"return_to", return_to}});
  ASSERT_FALSE(url.empty());
  const std::string callback = consent(url);
  const auto back = http("GET", to_instance(callback, *first_, *second_));
  EXPECT_EQ(back.status, 303) << back.body << log();
  EXPECT_EQ(back.headers.get("Location").value_or(""), return_to);
  // The host's page asks either instance how it ended.
  const auto status = http("GET", second_->url("/api/servers/secure/status"));
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(Json::parse(status.body).value("state", ""), "authorized") << status.body;
  EXPECT_EQ(relay_rows(), 0);
  expect_tools_work(*second_, "returned");
}

// The instance that started the flow is SIGKILLed once it published the
// authorization URL: the other instance refuses its callback at once (no
// wait for a flow that cannot end), leaves no row, and a fresh Authorize on
// it completes.
TEST_F(GatewayFlowRelay, AnInstanceKilledMidFlowLeavesAClearRefusalAndNothingHalfDone) {
  const std::string url = authorize(*first_);
  ASSERT_FALSE(url.empty());
  const std::string callback = consent(url);
  const std::string on_second = to_instance(callback, *first_, *second_);
  first_->command().send_signal(SIGKILL);
  first_->command().finish();
  const int first_port = first_->port();
  first_.reset();

  const auto refused = http("GET", on_second);
  EXPECT_EQ(refused.status, 410) << refused.body << log();
  EXPECT_NE(refused.body.find("instance that started this authorization stopped"), std::string::npos) << refused.body;
  EXPECT_EQ(relay_rows(), 0) << "nothing half-done";
  expect_not_in_database(callback);

  const std::string again = authorize(*second_);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.find("127.0.0.1%3A" + std::to_string(first_port)), std::string::npos);
  const auto page = http("GET", consent(again));  // to the second instance itself
  EXPECT_EQ(page.status, 200) << page.body << log();
  EXPECT_NE(page.body.find("<h1>Authorized</h1>"), std::string::npos) << page.body;
  EXPECT_EQ(relay_rows(), 0) << "a flow whose callback came back to its own instance leaves no row";
  expect_tools_work(*second_, "after the kill");
}

}  // namespace
}  // namespace mcpauth

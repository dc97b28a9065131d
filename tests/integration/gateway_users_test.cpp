// The gateway with local users (`mcpauth users add`, or host mode's
// Mcpauth-User): every request but the dashboard's files and the OAuth
// callback needs a user's API key (or the host key), and each
// user's tool calls carry that user's own grant (oidc-provider's resource
// server logs the subject of every token it verified), never another
// user's, nor the default account's; sessions are not shared across users.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "gateway_users_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::add_user;
using testing::bearer;
using testing::browser;
using testing::cli;
using testing::GatewayProcess;
using testing::http;
using testing::kInitializeBody;
using testing::login;
using testing::PeerProcess;
using testing::rs_requests;
using testing::run_command;
using testing::subjects_since;
using testing::write_config;

mcp::SessionOptions session_with(const GatewayProcess& gw, const net::HttpHeaders& credentials) {
  mcp::SessionOptions options;
  options.url = gw.url("/servers/secure/mcp");
  options.request_timeout = std::chrono::seconds(30);
  options.authorizer = std::make_shared<mcp::StaticHeaders>(credentials);
  return options;
}

mcp::SessionOptions session_for(const GatewayProcess& gw, const std::string& key) {
  return session_with(gw, bearer(key));
}

TEST(GatewayUsers, EachUsersCallCarriesOnlyItsOwnGrant) {
  PeerProcess peer("oidc-server.mjs");
  const std::string alice = add_user("alice");
  const std::string bob = add_user("bob");
  const std::string carol = add_user("carol");
  login(peer, "alice", "alice-subject");
  login(peer, "bob", "bob-subject");
  login(peer, "", "default-subject");  // the default account's grant: no user's
  // With users there is no start-up check with the default account's grant (its requests would be no user's).
  const std::size_t before_gateway = rs_requests(peer).size();
  GatewayProcess gw(write_config("users", {{"secure", {{"url", peer.url()}}}}));

  for (const auto& [user, key, subject] :
       {std::tuple{"alice", alice, "alice-subject"}, std::tuple{"bob", bob, "bob-subject"}}) {
    const std::size_t before = rs_requests(peer).size();
    auto session = mcp::Session::connect(session_for(gw, key));
    const auto result = session->call_tool("echo", {{"text", std::string("from ") + user}});
    EXPECT_EQ(result.result["content"][0]["text"], std::string("from ") + user);
    session->close();
    EXPECT_EQ(subjects_since(peer, before), std::set<std::string>{subject}) << user;
  }

  // A user without a grant gets no one else's (nor the default account's): it needs authorization.
  const std::size_t before = rs_requests(peer).size();
  EXPECT_THROW(
      {
        auto session = mcp::Session::connect(session_for(gw, carol));
        session->call_tool("echo", {{"text", "from carol"}});
      },
      Error);
  EXPECT_TRUE(subjects_since(peer, before).empty());

  // Authorize through the dashboard's API with carol's key: the grant is carol's.
  const auto state = http("GET", gw.url("/api/state"), "", bearer(carol));
  ASSERT_EQ(state.status, 200) << state.body;
  auto headers = bearer(carol);
  headers.set("X-CSRF-Token", Json::parse(state.body)["csrf"].get<std::string>());
  const auto started = http("POST", gw.url("/api/servers/secure/authorize"), "{}", headers);
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string url = Json::parse(started.body)["authorization_url"];
  const auto consent = run_command(
      {testing::node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs", "--login", "carol-subject", url});
  ASSERT_EQ(consent.exit_code, 0) << consent.err;
  const std::size_t after_consent = rs_requests(peer).size();
  auto session = mcp::Session::connect(session_for(gw, carol));
  EXPECT_EQ(session->call_tool("echo", {{"text", "carol"}}).result["content"][0]["text"], "carol");
  session->close();
  EXPECT_EQ(subjects_since(peer, after_consent), std::set<std::string>{"carol-subject"});
  const Json rows = Json::parse(run_command(cli({"status", peer.url(), "--json"})).out);
  std::set<std::string> accounts;
  for (const auto& r : rows) accounts.insert(r["account"].get<std::string>());
  EXPECT_EQ(accounts, (std::set<std::string>{"", "alice", "bob", "carol"})) << rows.dump();
  EXPECT_EQ(subjects_since(peer, before_gateway).count("default-subject"), 0u)
      << "the default account's grant is no user's";
}

TEST(GatewayUsers, EveryRequestButTheDashboardFilesNeedsAUsersKey) {
  PeerProcess peer("oidc-server.mjs");
  const std::string alice = add_user("alice");
  const std::string bob = add_user("bob");
  login(peer, "bob", "bob-subject");
  GatewayProcess gw(write_config("users-keys", {{"secure", {{"url", peer.url()}}}}));
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  for (const auto& headers :
       {net::HttpHeaders{}, bearer("mcpa_" + std::string(43, 'A')), bearer("not-a-key"), bearer(alice + "A")}) {
    const auto r = http("POST", gw.url("/servers/secure/mcp"), ping, headers);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.body.find("alice"), std::string::npos) << "the refusal names no user";
    EXPECT_EQ(http("GET", gw.url("/api/state"), "", headers).status, 401);
  }
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", bearer(alice)).status, 200);
  EXPECT_EQ(http("GET", gw.url("/")).status, 200) << "the static dashboard opens by navigation";
  EXPECT_EQ(http("DELETE", gw.url("/api/servers/secure"), "", bearer(alice)).status, 403)
      << "only an administrator changes the shared servers";

  // A session is its user's: another user's key does not reach it.
  const auto opened = http("POST", gw.url("/servers/secure/mcp"), kInitializeBody,
                           {{"Authorization", "Bearer " + bob}, {"Accept", "application/json, text/event-stream"}});
  const std::string id = opened.headers.get("Mcp-Session-Id").value_or("");
  ASSERT_FALSE(id.empty()) << opened.status << " " << opened.body;
  const auto stolen = http("POST", gw.url("/servers/secure/mcp"), ping,
                           {{"Authorization", "Bearer " + alice},
                            {"Mcp-Session-Id", id},
                            {"Accept", "application/json, text/event-stream"}});
  EXPECT_EQ(stolen.status, 404) << stolen.body;
}

// Host mode: a service that authenticates its own users sends the host key
// and names the user; the user is made on first use (without an API key)
// and gets that user's grant only.
TEST(GatewayUsers, AHostActsForTheUserItNamesMadeOnFirstUse) {
  PeerProcess peer("oidc-server.mjs");
  login(peer, "u1@example.com", "u1-subject");
  login(peer, "", "default-subject");
  const std::string host_key = "host-key-0123456789-0123456789-0123456789";
  GatewayProcess gw(write_config("host", {{"secure", {{"url", peer.url()}}}}), {"--host-key-env", "HOST_KEY"},
                    {"HOST_KEY=" + host_key});
  auto as_u1 = bearer(host_key);
  as_u1.set("Mcpauth-User", "u1@example.com");

  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_EQ(http("POST", gw.url("/servers/secure/mcp"), ping).status, 401) << "host mode needs a key, users or not";
  EXPECT_EQ(http("POST", gw.url("/servers/secure/mcp"), ping, {{"Mcpauth-User", "u1@example.com"}}).status, 401);
  EXPECT_EQ(http("POST", gw.url("/servers/secure/mcp"), ping, bearer(host_key)).status, 400) << "no user named";
  auto bad_name = bearer(host_key);
  bad_name.set("Mcpauth-User", "u1 example");
  EXPECT_EQ(http("POST", gw.url("/servers/secure/mcp"), ping, bad_name).status, 400);
  EXPECT_EQ(http("DELETE", gw.url("/api/servers/secure"), "", as_u1).status, 403);

  const std::size_t before = rs_requests(peer).size();
  auto session = mcp::Session::connect(session_with(gw, as_u1));
  EXPECT_EQ(session->call_tool("echo", {{"text", "u1"}}).result["content"][0]["text"], "u1");
  session->close();
  EXPECT_EQ(subjects_since(peer, before), std::set<std::string>{"u1-subject"});

  auto as_u2 = bearer(host_key);
  as_u2.set("Mcpauth-User", "u2");
  const std::size_t before_u2 = rs_requests(peer).size();
  EXPECT_THROW(
      {
        auto s2 = mcp::Session::connect(session_with(gw, as_u2));
        s2->call_tool("echo", {{"text", "u2"}});
      },
      Error);
  EXPECT_TRUE(subjects_since(peer, before_u2).empty()) << "u2 has no grant and gets no one else's";
  const Json users = Json::parse(run_command(cli({"users", "list", "--json"})).out);
  ASSERT_EQ(users.size(), 2u) << users.dump();
  EXPECT_EQ(users[0]["name"], "u1@example.com");
  EXPECT_EQ(users[1]["name"], "u2");
  EXPECT_EQ(users[1]["api_key"], false) << "a host's user has no key of its own";
}

// Users added while the gateway runs (by other processes, on its SQLite
// store) are let in: the gateway's connections keep their locks on the
// store, so a command's last connection never takes the gateway for gone and
// deletes the WAL under it (it did: the gateway then read a stale store and
// refused every user added after the first).
TEST(GatewayUsers, UsersAddedWhileItRunsAreLetIn) {
  const std::string alice = add_user("alice");
  GatewayProcess gw(write_config("users-later", Json::object()));
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", bearer(alice)).status, 200);
  for (const char* name : {"carol", "dave", "erin"}) {
    const std::string key = add_user(name);
    EXPECT_EQ(http("GET", gw.url("/api/state"), "", bearer(key)).status, 200) << name;
  }
}

TEST(GatewayUsers, WithoutUsersTheLoopbackModeIsUnchanged) {
  PeerProcess peer("oidc-server.mjs");
  login(peer, "", "default-subject");
  GatewayProcess gw(write_config("no-users", {{"secure", {{"url", peer.url()}}}}));
  const std::size_t before = rs_requests(peer).size();
  mcp::SessionOptions options;
  options.url = gw.url("/servers/secure/mcp");
  options.request_timeout = std::chrono::seconds(30);
  auto session = mcp::Session::connect(options);
  EXPECT_EQ(session->call_tool("echo", {{"text", "hi"}}).result["content"][0]["text"], "hi");
  session->close();
  EXPECT_EQ(subjects_since(peer, before), std::set<std::string>{"default-subject"});
}

}  // namespace
}  // namespace mcpauth

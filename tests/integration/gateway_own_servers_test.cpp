// A user's own servers in the gateway (issue 14: "a user may add servers of
// their own, kept in the store, not the file"): a user who is not an
// administrator adds one with POST /api/servers; only that user reaches it
// (another user gets the 404 of a name no one has), its name may not hide a
// shared one (409), its grant is the user's, DELETE removes it with its
// grant, `users remove` removes it too, and a second gateway on the same
// PostgreSQL store serves it.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "gateway_users_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::add_user;
using testing::bearer;
using testing::cli;
using testing::GatewayProcess;
using testing::http;
using testing::PeerProcess;
using testing::rs_requests;
using testing::run_command;
using testing::subjects_since;
using testing::write_config;

// The caller's key and the CSRF token its state carries: what a POST or DELETE under /api/ needs.
net::HttpHeaders own_server_api_headers(const GatewayProcess& gw, const std::string& key) {
  const auto state = http("GET", gw.url("/api/state"), "", bearer(key));
  EXPECT_EQ(state.status, 200) << state.body;
  auto headers = bearer(key);
  headers.set("X-CSRF-Token", Json::parse(state.body)["csrf"].get<std::string>());
  return headers;
}

net::HttpResponse own_server_add(const GatewayProcess& gw, const std::string& key, const Json& body) {
  return http("POST", gw.url("/api/servers"), body.dump(), own_server_api_headers(gw, key));
}

// The names of the caller's rows of scope `scope` in its /api/state.
std::set<std::string> own_server_rows(const GatewayProcess& gw, const std::string& key, const std::string& scope) {
  const auto state = http("GET", gw.url("/api/state"), "", bearer(key));
  EXPECT_EQ(state.status, 200) << state.body;
  std::set<std::string> names;
  const Json parsed = Json::parse(state.body);  // kept: the loop walks a part of it
  for (const auto& row : parsed["servers"]) {
    if (row.value("scope", "") == scope) names.insert(row["name"].get<std::string>());
  }
  return names;
}

// Authorizes the caller's server `name` through the dashboard's API, signing in as `subject`.
void own_server_authorize(const GatewayProcess& gw, const std::string& key, const std::string& name,
                          const std::string& subject) {
  const auto started =
      http("POST", gw.url("/api/servers/" + name + "/authorize"), "{}", own_server_api_headers(gw, key));
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string url = Json::parse(started.body)["authorization_url"];
  const auto consent = run_command(
      {testing::node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs", "--login", subject, url});
  ASSERT_EQ(consent.exit_code, 0) << consent.err;
}

std::string own_server_echo(const GatewayProcess& gw, const std::string& key, const std::string& name,
                            const std::string& text) {
  mcp::SessionOptions options;
  options.url = gw.url("/servers/" + name + "/mcp");
  options.request_timeout = std::chrono::seconds(30);
  options.authorizer = std::make_shared<mcp::StaticHeaders>(bearer(key));
  auto session = mcp::Session::connect(options);
  const auto result = session->call_tool("echo", {{"text", text}});
  session->close();
  return result.result["content"][0]["text"].get<std::string>();
}

std::string own_server_file_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The gateway's cache of a user's servers (kOwnServerCacheTtl, 2 s) and a margin.
constexpr auto kOwnServerCacheDelay = std::chrono::milliseconds(2'300);

// A 404 body with the server's name taken out: the same for every name no one (the caller) has.
std::string without_name(std::string body, const std::string& name) {
  for (auto at = body.find(name); at != std::string::npos; at = body.find(name)) body.replace(at, name.size(), "NAME");
  return body;
}

TEST(GatewayOwnServers, AUsersServerIsItsAloneAndGoesWithIt) {
  PeerProcess shared_peer("oidc-server.mjs");
  PeerProcess own_peer("oidc-server.mjs");
  const std::string alice = add_user("alice");
  const std::string bob = add_user("bob");
  const std::string config = write_config("own-servers", {{"secure", {{"url", shared_peer.url()}}}});
  // The peers are on 127.0.0.1, which users may not name unless the gateway allows it.
  GatewayProcess gw(config, {"--allow-private-user-servers"});

  // Alice adds a server of her own: the store has it, the config file does not.
  const auto added = own_server_add(gw, alice, {{"name", "mine"}, {"url", own_peer.url()}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Json::parse(added.body)["scope"], "own");
  EXPECT_EQ(own_server_rows(gw, alice, "own"), std::set<std::string>{"mine"});
  EXPECT_EQ(own_server_rows(gw, alice, "shared"), std::set<std::string>{"secure"});
  EXPECT_TRUE(own_server_rows(gw, bob, "own").empty()) << "bob's state has no row of alice's server";
  EXPECT_EQ(own_server_file_text(config).find("mine"), std::string::npos) << "the config file is the shared servers'";

  // Bob gets what a name no one has gets, on every path.
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  auto mcp_headers = bearer(bob);
  mcp_headers.set("Accept", "application/json, text/event-stream");
  for (const std::string path : {"/servers/NAME/mcp", "/api/servers/NAME/status", "/api/servers/NAME/tools"}) {
    const bool post = path.find("/mcp") != std::string::npos;
    auto at = [&](const std::string& name) {
      std::string p = path;
      p.replace(p.find("NAME"), 4, name);
      return http(post ? "POST" : "GET", gw.url(p), post ? testing::kInitializeBody : "", mcp_headers);
    };
    const auto theirs = at("mine");
    const auto nobodys = at("zzzz");
    EXPECT_EQ(theirs.status, 404) << path << " " << theirs.body;
    EXPECT_EQ(without_name(theirs.body, "mine"), without_name(nobodys.body, "zzzz")) << path;
  }
  EXPECT_EQ(http("DELETE", gw.url("/api/servers/mine"), "", own_server_api_headers(gw, bob)).status, 404);
  EXPECT_EQ(http("POST", gw.url("/servers/mine/mcp"), ping, mcp_headers).status, 404);

  // Names: not a shared one's, not twice, no ${VAR}; a shared server is an administrator's.
  const auto shadow = own_server_add(gw, alice, {{"name", "secure"}, {"url", own_peer.url()}});
  EXPECT_EQ(shadow.status, 409) << shadow.body;
  EXPECT_NE(shadow.body.find("shared server named secure"), std::string::npos) << shadow.body;
  EXPECT_EQ(own_server_add(gw, alice, {{"name", "mine"}, {"url", own_peer.url()}}).status, 409);
  const auto variable =
      own_server_add(gw, alice, {{"name", "leak"}, {"url", own_peer.url()}, {"headers", {{"X-K", "${HOME}"}}}});
  EXPECT_EQ(variable.status, 400) << variable.body;
  EXPECT_EQ(own_server_add(gw, alice, {{"name", "team"}, {"url", own_peer.url()}, {"scope", "shared"}}).status, 403);
  EXPECT_EQ(own_server_add(gw, bob, {{"name", "mine"}, {"url", own_peer.url()}}).status, 201)
      << "bob's own server may have the name of alice's";

  // Alice's grant there is hers; her calls carry it.
  own_server_authorize(gw, alice, "mine", "alice-subject");
  const std::size_t before = rs_requests(own_peer).size();
  EXPECT_EQ(own_server_echo(gw, alice, "mine", "hello"), "hello");
  EXPECT_EQ(subjects_since(own_peer, before), std::set<std::string>{"alice-subject"});
  // Bob's "mine" is bob's: he has no grant there, and alice's is not his.
  const std::size_t before_bob = rs_requests(own_peer).size();
  EXPECT_THROW(own_server_echo(gw, bob, "mine", "bob"), Error);
  EXPECT_EQ(subjects_since(own_peer, before_bob).count("alice-subject"), 0u);

  // Alice removes hers: gone from her paths, her grant deleted, bob's kept.
  const auto removed = http("DELETE", gw.url("/api/servers/mine"), "", own_server_api_headers(gw, alice));
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(http("GET", gw.url("/api/servers/mine/status"), "", bearer(alice)).status, 404);
  EXPECT_EQ(http("GET", gw.url("/api/servers/mine/status"), "", bearer(bob)).status, 200) << "bob's is kept";
  const Json grants = Json::parse(run_command(cli({"status", own_peer.url(), "--json"})).out);
  for (const auto& row : grants) EXPECT_NE(row.value("account", ""), "alice") << grants.dump();

  // `users remove` takes a user's servers with it: a new user of that name
  // finds none once the gateway reads the store again (its caches' time,
  // waited for on the clock), and the old key is refused by then.
  ASSERT_EQ(run_command(cli({"users", "remove", "bob"})).exit_code, 0);
  const std::string new_bob = add_user("bob");
  const auto removed_at = std::chrono::steady_clock::now();
  std::this_thread::sleep_until(removed_at + kOwnServerCacheDelay);
  EXPECT_EQ(http("GET", gw.url("/api/servers/mine/status"), "", bearer(bob)).status, 401);
  EXPECT_EQ(http("GET", gw.url("/api/servers/mine/status"), "", bearer(new_bob)).status, 404);
  EXPECT_TRUE(own_server_rows(gw, new_bob, "own").empty());
}

// Two gateways on one PostgreSQL store: a server alice adds on the first is
// hers on the second, and gone from the second once she removes it.
TEST(GatewayOwnServers, ASecondInstanceOnTheSamePostgresStoreServesIt) {
  testing::PostgresServer server;
  const std::string url = server.create_database("own_servers");
  PeerProcess own_peer("oidc-server.mjs");
  const auto added_user = run_command(cli({"users", "add", "alice", "--store", url}));
  ASSERT_EQ(added_user.exit_code, 0) << added_user.err;
  const std::string alice = added_user.out.substr(0, added_user.out.find('\n'));
  const auto added_bob = run_command(cli({"users", "add", "bob", "--store", url}));
  ASSERT_EQ(added_bob.exit_code, 0) << added_bob.err;
  const std::string bob = added_bob.out.substr(0, added_bob.out.find('\n'));
  const std::string config = write_config("own-two", Json::object());
  GatewayProcess first(config, {"--store", url, "--allow-private-user-servers"});
  GatewayProcess second(config, {"--store", url, "--allow-private-user-servers"});

  // The second instance reads alice's servers before she adds one (its cache then holds none).
  const auto read_at = std::chrono::steady_clock::now();
  EXPECT_EQ(http("GET", second.url("/api/servers/mine/status"), "", bearer(alice)).status, 404);
  const auto added = own_server_add(first, alice, {{"name", "mine"}, {"url", own_peer.url()}});
  ASSERT_EQ(added.status, 201) << added.body;
  own_server_authorize(first, alice, "mine", "alice-subject");

  // Once the second's cache is older than its documented time, it reads the
  // store again and serves the server, with alice's grant. This waits for
  // the clock (the cache's age), not for a process.
  std::this_thread::sleep_until(read_at + kOwnServerCacheDelay);
  const auto status = http("GET", second.url("/api/servers/mine/status"), "", bearer(alice));
  ASSERT_EQ(status.status, 200) << status.body;
  const std::size_t before = rs_requests(own_peer).size();
  EXPECT_EQ(own_server_echo(second, alice, "mine", "via the second"), "via the second");
  EXPECT_EQ(subjects_since(own_peer, before), std::set<std::string>{"alice-subject"});
  EXPECT_EQ(http("GET", second.url("/api/servers/mine/status"), "", bearer(bob)).status, 404);

  // Removed on the first: gone on the second within the cache's time.
  ASSERT_EQ(http("DELETE", first.url("/api/servers/mine"), "", own_server_api_headers(first, alice)).status, 200);
  const auto removed_at = std::chrono::steady_clock::now();
  std::this_thread::sleep_until(removed_at + kOwnServerCacheDelay);
  EXPECT_EQ(http("GET", second.url("/api/servers/mine/status"), "", bearer(alice)).status, 404);
  EXPECT_EQ(server.psql("own_servers", "SELECT count(*) FROM mcpauth_user_servers"), "0\n");

  // `users remove` takes a user's servers with it (one transaction with the user).
  ASSERT_EQ(own_server_add(first, alice, {{"name", "again"}, {"url", own_peer.url()}}).status, 201);
  EXPECT_EQ(server.psql("own_servers", "SELECT count(*) FROM mcpauth_user_servers WHERE user_name = 'alice'"), "1\n");
  const auto removed_user = run_command(cli({"users", "remove", "alice", "--store", url}));
  ASSERT_EQ(removed_user.exit_code, 0) << removed_user.err;
  EXPECT_EQ(server.psql("own_servers", "SELECT count(*) FROM mcpauth_user_servers"), "0\n");
}

TEST(GatewayOwnServers, AUserMayNotNameTheGatewaysMachineOrPrivateNetworkUnlessAllowed) {
  const std::string alice = add_user("alice");
  const std::string config = write_config("own-servers-strict", Json::object());
  GatewayProcess gw(config);
  for (const std::string url :
       {"http://127.0.0.1:9/mcp", "http://localhost:9/mcp", "https://10.1.2.3/mcp", "https://192.168.0.7/mcp",
        "https://169.254.169.254/latest", "https://[::1]/mcp", "https://[fd00::5]/mcp"}) {
    const auto refused = own_server_add(gw, alice, {{"name", "inside"}, {"url", url}});
    EXPECT_EQ(refused.status, 400) << url << ": " << refused.body;
    EXPECT_NE(refused.body.find("--allow-private-user-servers"), std::string::npos) << refused.body;
  }
  EXPECT_TRUE(own_server_rows(gw, alice, "own").empty()) << "nothing was stored";
}

}  // namespace
}  // namespace mcpauth

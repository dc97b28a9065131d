// The gateway's API for the calling user (docs/gateway.md): /api/state's
// rows and GET /api/servers/NAME/status are the caller's own (an
// administrator's: every user's, each naming its user, no consent URL but
// its own), POST .../authorize takes a return_to under --allowed-return-url
// and the callback sends the browser there, reconnect closes only the
// caller's sessions, and a removed user's sessions end.
#include <gtest/gtest.h>

#include <map>

#include "gateway_users_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::add_user;
using testing::bearer;
using testing::cli;
using testing::GatewayProcess;
using testing::http;
using testing::login;
using testing::open_session;
using testing::PeerProcess;
using testing::RawConnection;
using testing::run_command;
using testing::write_config;

const std::string kReturnPrefix = "http://127.0.0.1:9/host-app/";

Json get(const GatewayProcess& gw, const std::string& path, const net::HttpHeaders& credentials) {
  const auto r = http("GET", gw.url(path), "", credentials);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return r.status == 200 ? Json::parse(r.body) : Json::object();
}

// The rows of /api/state by user.
std::map<std::string, Json> rows_by_user(const GatewayProcess& gw, const net::HttpHeaders& credentials) {
  std::map<std::string, Json> out;
  const Json state = get(gw, "/api/state", credentials);
  for (const auto& row : state["servers"]) out[row["user"].get<std::string>()] = row;
  return out;
}

// `credentials` with the CSRF token the state gave them.
net::HttpHeaders with_csrf(const GatewayProcess& gw, const net::HttpHeaders& credentials) {
  auto headers = credentials;
  headers.set("X-CSRF-Token", get(gw, "/api/state", credentials)["csrf"].get<std::string>());
  return headers;
}

net::HttpResponse ping(const GatewayProcess& gw, const std::string& session, const net::HttpHeaders& credentials) {
  auto headers = credentials;
  headers.set("Mcp-Session-Id", session);
  headers.set("Accept", "application/json, text/event-stream");
  return http("POST", gw.url("/servers/secure/mcp"), R"({"jsonrpc":"2.0","id":2,"method":"ping"})", headers);
}

struct Team {
  PeerProcess peer{"oidc-server.mjs"};
  std::string alice = add_user("alice");
  std::string bob = add_user("bob");
  std::string root = add_user("root", true);
  Team() {
    login(peer, "alice", "alice-subject");
    login(peer, "bob", "bob-subject");
    login(peer, "", "default-subject");  // no user's
  }
  std::string config(const std::string& name) const { return write_config(name, {{"secure", {{"url", peer.url()}}}}); }
};

TEST(GatewayUsersApi, EachUserSeesOnlyItsOwnRowsAndAnAdministratorEveryUsers) {
  Team team;
  GatewayProcess gw(team.config("rows"));
  for (const auto& [user, key] : {std::pair{"alice", team.alice}, std::pair{"bob", team.bob}}) {
    const Json state = get(gw, "/api/state", bearer(key));
    EXPECT_EQ(state["user"], user);
    ASSERT_EQ(state["servers"].size(), 1u) << state.dump();
    const Json& row = state["servers"][0];
    EXPECT_EQ(row["user"], user);
    EXPECT_EQ(row["account"], user);
    EXPECT_EQ(row["state"], "authorized") << row.dump();
    EXPECT_TRUE(row["expires_at"].is_number()) << row.dump();
    EXPECT_TRUE(row["scopes"].is_string()) << row.dump();

    const Json status = get(gw, "/api/servers/secure/status", bearer(key));
    EXPECT_EQ(status["state"], "authorized") << status.dump();
    EXPECT_EQ(status["user"], user);
    EXPECT_EQ(status["expires_at"], row["expires_at"]);
    EXPECT_EQ(status["scopes"], row["scopes"]);
  }
  // The dashboard's event stream is the caller's too.
  RawConnection events(gw.port());
  ASSERT_TRUE(events.send("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) +
                          "\r\nAuthorization: Bearer " + team.bob + "\r\n\r\n"));
  std::string text;  // up to the end of the first event's data line
  auto data = std::string::npos;
  while ((data = text.find("data: ")) == std::string::npos || text.find('\n', data) == std::string::npos) {
    ASSERT_TRUE(events.read_some(text)) << text;
  }
  const auto end = text.find('\n', data);
  const Json streamed = Json::parse(text.substr(data + 6, end - data - 6));
  ASSERT_EQ(streamed["servers"].size(), 1u) << streamed.dump();
  EXPECT_EQ(streamed["servers"][0]["user"], "bob");

  EXPECT_EQ(get(gw, "/api/servers/secure/status", bearer(team.root))["state"], "needs_authorization");
  EXPECT_EQ(http("GET", gw.url("/api/servers/nope/status"), "", bearer(team.alice)).status, 404);

  const auto all = http("GET", gw.url("/api/state"), "", bearer(team.root));
  ASSERT_EQ(all.status, 200);
  const auto rows = rows_by_user(gw, bearer(team.root));
  ASSERT_EQ(rows.size(), 3u) << all.body;
  EXPECT_EQ(rows.at("alice")["state"], "authorized");
  EXPECT_EQ(rows.at("bob")["state"], "authorized");
  EXPECT_EQ(rows.at("root")["state"], "needs_authorization");
  for (const char* secret : {"access_token", "refresh_token", "eyJ"}) {
    EXPECT_EQ(all.body.find(secret), std::string::npos) << "never a token: " << secret;
  }
}

// needs_authorization -> authorizing -> authorized through a real flow that a
// host's page started with return_to; the callback sends the browser back there.
TEST(GatewayUsersApi, AHostsAuthorizeWithReturnToEndsBackOnItsPage) {
  Team team;
  const std::string carol = add_user("carol");
  GatewayProcess gw(team.config("return-to"), {"--allowed-return-url", kReturnPrefix});
  EXPECT_EQ(get(gw, "/api/servers/secure/status", bearer(carol))["state"], "needs_authorization");

  const auto headers = with_csrf(gw, bearer(carol));
  for (const std::string refused :
       {"https://evil.example/host-app/", "http://127.0.0.1:9/other/", "http://127.0.0.1:9/host-app/../other",
        "http://127.0.0.1:99/host-app/", "http://127.0.0.1:9.evil.example/host-app/", "not a url"}) {
    const auto r = http("POST", gw.url("/api/servers/secure/authorize"), Json{{"return_to", refused}}.dump(), headers);
    EXPECT_EQ(r.status, 400) << refused << ": " << r.body;
    EXPECT_NE(r.body.find("allowed return URL"), std::string::npos) << r.body;
  }
  EXPECT_EQ(get(gw, "/api/servers/secure/status", bearer(carol))["state"], "needs_authorization")
      << "a refused return_to starts nothing";

  const std::string return_to = kReturnPrefix + "settings?tab=servers";
  const auto started =
      http("POST", gw.url("/api/servers/secure/authorize"), Json{{"return_to", return_to}}.dump(), headers);
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string url = Json::parse(started.body)["authorization_url"];
  const Json authorizing = get(gw, "/api/servers/secure/status", bearer(carol));
  EXPECT_EQ(authorizing["state"], "authorizing");
  EXPECT_EQ(authorizing["authorization_url"], url);
  // The administrator sees carol's row authorizing, but not her consent page.
  const auto rows = rows_by_user(gw, bearer(team.root));
  EXPECT_EQ(rows.at("carol")["state"], "authorizing");
  EXPECT_TRUE(rows.at("carol")["authorization_url"].is_null());
  EXPECT_EQ(get(gw, "/api/servers/secure/status", bearer(team.alice))["state"], "authorized") << "alice's own";

  const auto consent = run_command({testing::node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs",
                                    "--login", "carol-subject", "--print-redirect", url});
  ASSERT_EQ(consent.exit_code, 0) << consent.err;
  const std::string callback = consent.out.substr(0, consent.out.find('\n'));
  const auto back = http("GET", callback);  // as the browser, which would follow the redirect
  EXPECT_EQ(back.status, 303) << back.body;
  EXPECT_EQ(back.headers.get("Location").value_or(""), return_to);

  const Json authorized = get(gw, "/api/servers/secure/status", bearer(carol));
  EXPECT_EQ(authorized["state"], "authorized") << authorized.dump();
  EXPECT_TRUE(authorized["expires_at"].is_number());
  auto session = mcp::Session::connect([&] {
    mcp::SessionOptions options;
    options.url = gw.url("/servers/secure/mcp");
    options.request_timeout = std::chrono::seconds(30);
    options.authorizer = std::make_shared<mcp::StaticHeaders>(bearer(carol));
    return options;
  }());
  EXPECT_EQ(session->call_tool("echo", {{"text", "carol"}}).result["content"][0]["text"], "carol");
  session->close();
}

TEST(GatewayUsersApi, ReconnectClosesOnlyTheCallersSessionsUnlessAnAdministratorAsksForAll) {
  Team team;
  GatewayProcess gw(team.config("reconnect"));
  const std::string of_alice = open_session(gw, "secure", bearer(team.alice));
  const std::string of_bob = open_session(gw, "secure", bearer(team.bob));
  ASSERT_EQ(ping(gw, of_alice, bearer(team.alice)).status, 200);
  ASSERT_EQ(ping(gw, of_bob, bearer(team.bob)).status, 200);

  const auto bob_headers = with_csrf(gw, bearer(team.bob));
  EXPECT_EQ(http("POST", gw.url("/api/servers/secure/reconnect"), "", bob_headers).status, 202);
  EXPECT_EQ(ping(gw, of_bob, bearer(team.bob)).status, 404) << "bob's session was closed";
  EXPECT_EQ(ping(gw, of_alice, bearer(team.alice)).status, 200) << "alice's was not";

  EXPECT_EQ(http("POST", gw.url("/api/servers/secure/reconnect?all_users=1"), "", bob_headers).status, 403);
  EXPECT_EQ(ping(gw, of_alice, bearer(team.alice)).status, 200);
  EXPECT_EQ(
      http("POST", gw.url("/api/servers/secure/reconnect?all_users=1"), "", with_csrf(gw, bearer(team.root))).status,
      202);
  EXPECT_EQ(ping(gw, of_alice, bearer(team.alice)).status, 404) << "every user's, for an administrator who asks";
}

// `users remove` (another process) ends the user's sessions in a running
// gateway: its open event stream closes (the housekeeping's sweep, every 10 s).
TEST(GatewayUsersApi, ARemovedUsersSessionsEnd) {
  Team team;
  GatewayProcess gw(team.config("removed"));
  const std::string session = open_session(gw, "secure", bearer(team.bob));
  RawConnection stream(gw.port());
  ASSERT_TRUE(stream.connected());
  ASSERT_TRUE(stream.send("GET /servers/secure/mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) +
                          "\r\nAuthorization: Bearer " + team.bob + "\r\nMcp-Session-Id: " + session +
                          "\r\nAccept: text/event-stream\r\n\r\n"));
  const std::string head = stream.receive("\r\n\r\n");
  ASSERT_NE(head.find("200"), std::string::npos) << head;
  const auto removed = run_command(cli({"users", "remove", "bob"}));
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  // Keepalive comments come every 15 s while it is open: read until it ends, for at most 40 s.
  bool closed = false;
  std::string events;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
       !closed && std::chrono::steady_clock::now() < deadline;) {
    bool timed_out = false;
    closed = !stream.read_some(events, std::chrono::seconds(5), &timed_out) && !timed_out;
  }
  EXPECT_TRUE(closed) << "the removed user's stream is still open";
  const std::string alices = open_session(gw, "secure", bearer(team.alice));
  EXPECT_EQ(ping(gw, alices, bearer(team.alice)).status, 200) << "other users go on";
}

// Without users nothing changes: the configured servers' rows, no user named;
// the status is the default account's; no return_to without allowed URLs.
TEST(GatewayUsersApi, WithoutUsersTheRowsAndStatusAreTheServersOwn) {
  PeerProcess peer("oidc-server.mjs");
  login(peer, "", "default-subject");
  GatewayProcess gw(write_config("single", {{"secure", {{"url", peer.url()}}}}));
  const Json state = get(gw, "/api/state", {});
  EXPECT_FALSE(state.contains("user"));
  ASSERT_EQ(state["servers"].size(), 1u);
  EXPECT_FALSE(state["servers"][0].contains("user"));
  EXPECT_EQ(get(gw, "/api/servers/secure/status", {})["state"], "authorized");
  const auto r = http("POST", gw.url("/api/servers/secure/authorize"), Json{{"return_to", kReturnPrefix}}.dump(),
                      with_csrf(gw, {}));
  EXPECT_EQ(r.status, 400) << r.body;
}

}  // namespace
}  // namespace mcpauth

// Issue 14's isolation test: "50 users x 3 servers: the resource server's
// log proves no request carried another user's token".
//
// Three oidc-provider peers (each its own authorization server and resource
// server) are the gateway's three shared servers; 50 users are added with
// `mcpauth users add`. Each user authorizes each server through the
// dashboard's API (150 real consents: the gateway's flow, oidc-provider's
// login and consent pages, the gateway's callback), driven by one headless
// browser per server that walks its 50 consents in one Node process, each
// as a new browser. Then every user calls a tool on every server at once,
// with its own API key and a text naming the user and the server. Each
// resource server logs, per request, the subject of the token it verified, a
// hash of the token and the tool call's text: every call made with user U's
// key must have reached the server with a token issued to U, and no token
// may have been used for two users.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway_users_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::bearer;
using testing::GatewayProcess;
using testing::http;
using testing::PeerProcess;

constexpr int kIsolationUsers = 50;
constexpr int kIsolationServers = 3;
constexpr int kIsolationThreads = 8;  // requests in flight at once (the machine may have 2 cores)

std::string isolation_user(int u) {
  char name[16];
  std::snprintf(name, sizeof name, "user-%02d", u);
  return name;
}

std::string isolation_subject(const std::string& user) {
  return "sub-" + user;
}

// Runs work(i) for i in [0, count) on kIsolationThreads threads.
template <typename Work>
void isolation_pool(int count, Work work) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kIsolationThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) work(i);
    });
  }
  for (auto& thread : threads) thread.join();
}

TEST(GatewayIsolation, FiftyUsersThreeServersNoRequestCarriesAnotherUsersToken) {
  std::vector<std::unique_ptr<PeerProcess>> peers;
  Json servers = Json::object();
  for (int s = 0; s < kIsolationServers; ++s) {
    peers.push_back(std::make_unique<PeerProcess>("oidc-server.mjs"));
    servers["s" + std::to_string(s)] = {{"url", peers.back()->url()}};
  }
  std::vector<std::string> keys;
  for (int u = 0; u < kIsolationUsers; ++u) keys.push_back(testing::add_user(isolation_user(u)));
  GatewayProcess gw(testing::write_config("isolation", servers));
  const auto state = http("GET", gw.url("/api/state"), "", bearer(keys[0]));
  ASSERT_EQ(state.status, 200) << state.body;
  const std::string csrf = Json::parse(state.body)["csrf"].get<std::string>();

  // Every user starts a dashboard flow on every server: 150 consent pages.
  std::vector<std::vector<std::string>> consents(kIsolationServers, std::vector<std::string>(kIsolationUsers));
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  const auto fail = [&](const std::string& what) {
    std::lock_guard lock(failures_mutex);
    failures.push_back(what);
  };
  isolation_pool(kIsolationUsers * kIsolationServers, [&](int i) {
    const int u = i / kIsolationServers;
    const int s = i % kIsolationServers;
    auto headers = bearer(keys[u]);
    headers.set("X-CSRF-Token", csrf);
    const auto started = http("POST", gw.url("/api/servers/s" + std::to_string(s) + "/authorize"), "{}", headers);
    const Json body = Json::parse(started.body, nullptr, false);
    if (started.status != 200 || !body.contains("authorization_url")) {
      fail(isolation_user(u) + " s" + std::to_string(s) + ": " + std::to_string(started.status) + " " + started.body);
      return;
    }
    consents[s][u] = isolation_subject(isolation_user(u)) + " " + body["authorization_url"].get<std::string>();
  });
  ASSERT_TRUE(failures.empty()) << failures.front();

  // One headless browser per server walks its 50 consents, each signing in as its user.
  std::vector<testing::CommandResult> walked(kIsolationServers);
  std::vector<std::thread> browsers;
  for (int s = 0; s < kIsolationServers; ++s) {
    const std::string file = testing::test_home() + "/isolation-consents-" + std::to_string(s) + ".txt";
    {
      std::ofstream out(file);
      for (const auto& line : consents[s]) out << line << "\n";
    }
    browsers.emplace_back([&walked, s, file] {
      walked[s] = testing::run_command(
          {testing::node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs", "--batch", file}, {},
          std::chrono::seconds(100));
    });
  }
  for (auto& thread : browsers) thread.join();
  for (int s = 0; s < kIsolationServers; ++s) ASSERT_EQ(walked[s].exit_code, 0) << "s" << s << ": " << walked[s].err;
  std::vector<std::size_t> before(kIsolationServers);
  for (int s = 0; s < kIsolationServers; ++s) before[s] = testing::rs_requests(*peers[s]).size();

  // Every user calls a tool on every server, all at once, each with its own key.
  isolation_pool(kIsolationUsers * kIsolationServers, [&](int i) {
    const int u = i / kIsolationServers;
    const int s = i % kIsolationServers;
    const std::string text = isolation_user(u) + "@s" + std::to_string(s);
    try {
      mcp::SessionOptions options;
      options.url = gw.url("/servers/s" + std::to_string(s) + "/mcp");
      options.request_timeout = std::chrono::seconds(60);
      options.authorizer = std::make_shared<mcp::StaticHeaders>(bearer(keys[u]));
      auto session = mcp::Session::connect(options);
      const auto result = session->call_tool("echo", {{"text", text}});
      session->close();
      if (result.result["content"][0]["text"] != text) fail(text + ": answered " + result.result.dump());
    } catch (const std::exception& e) {
      fail(text + ": " + e.what());
    }
  });
  ASSERT_TRUE(failures.empty()) << failures.size() << " calls failed; the first: " << failures.front();

  // The resource servers' logs: each call reached its server once, with a
  // token issued to the user whose key made it; no token served two users.
  std::map<std::string, std::set<std::string>> subjects_of_token;  // over all three servers
  std::map<std::string, std::set<std::string>> keys_of_token;      // whose key made the calls it carried
  for (int s = 0; s < kIsolationServers; ++s) {
    const Json log = testing::rs_requests(*peers[s]);
    std::map<std::string, int> calls;  // echo text -> requests that carried it
    for (std::size_t i = before[s]; i < log.size(); ++i) {
      const Json& entry = log[i];
      if (entry.contains("token")) {
        subjects_of_token[entry["token"].get<std::string>()].insert(entry.value("sub", ""));
      }
      if (!entry.contains("echo")) continue;
      const std::string text = entry["echo"].get<std::string>();
      ++calls[text];
      const std::string user = text.substr(0, text.find('@'));
      keys_of_token[entry.value("token", "")].insert(user);
      EXPECT_EQ(entry.value("sub", ""), isolation_subject(user)) << "s" << s << ": " << entry.dump();
      EXPECT_EQ(text.substr(text.find('@') + 1), "s" + std::to_string(s)) << entry.dump();
      EXPECT_EQ(entry.value("status", 0), 200) << entry.dump();
    }
    EXPECT_EQ(calls.size(), static_cast<std::size_t>(kIsolationUsers)) << "s" << s;
    for (const auto& [text, count] : calls) EXPECT_EQ(count, 1) << text;
  }
  EXPECT_GE(subjects_of_token.size(), static_cast<std::size_t>(kIsolationUsers * kIsolationServers))
      << "a token per user and server";
  for (const auto& [token, subjects] : subjects_of_token) {
    EXPECT_EQ(subjects.size(), 1u) << "a token issued to several users";
  }
  EXPECT_EQ(keys_of_token.count(""), 0u) << "a call reached a server without a verified token";
  for (const auto& [token, users] : keys_of_token) {
    EXPECT_EQ(users.size(), 1u) << "a token carried the calls of several users' keys";
  }
}

}  // namespace
}  // namespace mcpauth

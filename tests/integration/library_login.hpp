// The library used the way an embedder wires OAuth by hand: an Authorizer
// with a loopback consent, and a session that lists the tools and calls one.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "peer_process.hpp"

namespace mcpauth::testing {

struct LibraryLogin {
  std::shared_ptr<auth::Authorizer> authorizer;
  std::optional<auth::AuthorizationInfo> info;  // after the session's requests
};

// Authorizes at `peer` with `browser` as $BROWSER (for the length of the
// call), then expects the test tools (7 of them, add answering 3).
inline LibraryLogin log_in_through_the_library(const PeerProcess& peer, const std::string& browser) {
  EXPECT_EQ(setenv("BROWSER", browser.c_str(), 1), 0);
  struct Unset {
    ~Unset() { unsetenv("BROWSER"); }
  } unset;
  auto http = std::make_shared<net::CurlHttpClient>();
  auth::AuthorizerOptions options;
  options.server_url = peer.url();
  options.http = http;
  options.consent = std::make_shared<auth::LoopbackConsent>(auth::LoopbackConsentOptions{.notify = [](auto&) {}});
  LibraryLogin login;
  login.authorizer = std::make_shared<auth::Authorizer>(options);
  auto session = mcp::Session::connect({.url = peer.url(), .http = http, .authorizer = login.authorizer});
  EXPECT_EQ(session->list_tools().size(), 7u);
  EXPECT_EQ(session->call_tool("add", {{"a", 1}, {"b", 2}}).result.at("content").at(0).at("text"), "3");
  login.info = login.authorizer->info();
  return login;
}

}  // namespace mcpauth::testing

// Discovery for one MCP server: its Protected Resource Metadata (RFC 9728)
// and its authorization server's metadata (RFC 8414 / OpenID), with every
// check the specification asks for (PRM `resource` names this server, exact
// issuer, https-or-loopback URLs). Used by the Authorizer on a 401 and by
// `mcpauth probe`, and kept in the store so a reconnect fetches nothing.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::auth {

struct Discovery {
  std::optional<core::oauth::ProtectedResourceMetadata> prm;  // none: a 2025-03-26 server
  std::string prm_url;
  core::oauth::AuthorizationServerMetadata as;
  std::string as_url;                   // "" when the metadata was defaulted
  std::optional<std::string> resource;  // the RFC 8707 value to send (none: not sent)
};

struct DiscoveryOptions {
  std::string server_url;
  std::shared_ptr<net::HttpClient> http;
  std::chrono::milliseconds http_timeout{30'000};
  std::optional<std::string> resource;          // replaces the PRM's resource value
  std::optional<std::string> preferred_issuer;  // of several authorization servers, this one
  bool send_resource = true;
};

// Throws Error(invalid_metadata | resource_mismatch | issuer_mismatch |
// insecure_url | auth_server_unreachable) naming the URL concerned.
Discovery discover(const DiscoveryOptions& options, const core::oauth::AuthChallenge& challenge);

// The key the server's tokens are stored under: the resource, or the server URL when none is sent.
std::string resource_key(const Discovery& discovery, const std::string& server_url);

store::DiscoveryRecord to_record(const Discovery& discovery, const std::string& server_url);
// Parses and checks the stored documents again, with the same options as
// discover() (a stored record never bypasses a check). Throws like discover().
Discovery from_record(const store::DiscoveryRecord& record, const DiscoveryOptions& options);

}  // namespace mcpauth::auth

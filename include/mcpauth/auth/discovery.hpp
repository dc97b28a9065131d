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
#include "mcpauth/core/url.hpp"
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

// Requests to URLs that a remote server chose (metadata, OAuth endpoints)
// may connect to loopback only when the MCP server is on loopback, and never
// to link-local or metadata-service addresses (RFC 9728 §7.7): these rules
// are checked on the addresses DNS gives, not only on the URL.
net::AddressRules server_directed_address_rules(const std::string& server_url);

// An HttpClient for the OAuth requests of one MCP server: every request to
// another origin is sent with server_directed_address_rules(server_url).
class RestrictedHttpClient final : public net::HttpClient {
 public:
  RestrictedHttpClient(std::shared_ptr<net::HttpClient> inner, const std::string& server_url);
  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel = nullptr) override;
  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler,
              net::CancelToken* cancel = nullptr) override;

 private:
  net::HttpRequest restricted(const net::HttpRequest& request) const;

  std::shared_ptr<net::HttpClient> inner_;
  core::Url server_;
  net::AddressRules rules_;
};

// `http` restricted to server_directed_address_rules(server_url) (unchanged if it already is restricted).
std::shared_ptr<net::HttpClient> restrict_to_server_directed(std::shared_ptr<net::HttpClient> http,
                                                             const std::string& server_url);

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

// Discovery for one MCP server, driven: core::oauth::DiscoveryFlow decides
// what to fetch and checks every answer (PRM `resource` names this server,
// exact issuer, https-or-loopback and server-directed URLs); discover() only
// sends its requests. Used by `mcpauth probe` (the Authorizer runs the same
// machine inside its AuthorizationFlow), and kept in the store so a
// reconnect fetches nothing. Also here: the HttpClient that keeps requests
// a server chose away from local addresses.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "mcpauth/core/oauth/discovery.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::auth {

using Discovery = core::oauth::Discovery;

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

// The GET of a metadata document (JSON, bounded, no redirects followed).
net::HttpRequest metadata_request(const std::string& url, std::chrono::milliseconds timeout);
// A response as core::oauth's machines read it.
core::oauth::HttpAnswer http_answer(const net::HttpResponse& response);

// Runs core::oauth::DiscoveryFlow over `options.http` (restricted to
// server-directed addresses). Throws Error(invalid_metadata |
// resource_mismatch | issuer_mismatch | insecure_url | auth_server_unreachable)
// naming the URL concerned.
Discovery discover(const DiscoveryOptions& options, const core::oauth::AuthChallenge& challenge);

// The key the server's tokens are stored under: the resource, or the server URL when none is sent.
using core::oauth::resource_key;

store::DiscoveryRecord to_record(const Discovery& discovery, const std::string& server_url);
// Parses and checks the stored documents again, with the same options as
// discover() (a stored record never bypasses a check). Throws like discover().
Discovery from_record(const store::DiscoveryRecord& record, const DiscoveryOptions& options);
// The same with the policy alone (no HTTP is involved).
Discovery from_record(const store::DiscoveryRecord& record, const core::oauth::DiscoveryPolicy& policy);

}  // namespace mcpauth::auth

// Discovery for one MCP server as a sans-I/O machine: which metadata
// document to fetch next (the Protected Resource Metadata the 401 named or
// its well-known candidates in order, then the authorization server's
// RFC 8414 / OpenID candidates, else the 2025-03-26 defaults), and every
// check the specification asks for on what comes back (PRM `resource` names
// this server, exact issuer, https-or-loopback and server-directed URLs).
// The caller fetches; nothing here sends anything. A stored record is
// checked again by discovery_from_stored(), with the same rules.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {

struct Discovery {
  std::optional<ProtectedResourceMetadata> prm;  // none: a 2025-03-26 server
  std::string prm_url;
  AuthorizationServerMetadata as;
  std::string as_url;                   // "" when the metadata was defaulted
  std::optional<std::string> resource;  // the RFC 8707 value to send (none: not sent)
};

// What the user configured about discovery.
struct DiscoveryPolicy {
  std::string server_url;
  std::optional<std::string> resource;          // replaces the PRM's resource value
  std::optional<std::string> preferred_issuer;  // of several authorization servers, this one
  bool send_resource = true;
};

// An HTTP answer as the machines read it (the caller's transport made it).
struct HttpAnswer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first value of a header, its name compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

// A metadata document to GET (no redirects followed). `required`: the
// server named it, so a failure ends discovery instead of trying the next candidate.
struct FetchMetadata {
  std::string url;
  bool required = false;
};

enum class DiscoveryState {
  fetching_resource_metadata,
  fetching_server_metadata,
  done,    // result() holds the checked discovery
  failed,  // error() holds the Error
};
std::string_view to_string(DiscoveryState state) noexcept;

class DiscoveryFlow {
 public:
  DiscoveryFlow(DiscoveryPolicy policy, AuthChallenge challenge);

  DiscoveryState state() const noexcept { return state_; }
  // The document to fetch now (in the two fetching states).
  const FetchMetadata& fetch() const;
  // The answer to fetch(), or the transport's failure to get one.
  void on_answer(const HttpAnswer& answer);
  void on_transport_failure(const Error& error);

  const Discovery& result() const;  // state() == done
  std::exception_ptr error() const noexcept { return error_; }

 private:
  void start_server_metadata();
  void next_candidate();
  void finish();
  void fail(std::exception_ptr error);
  template <class F>
  void guarded(F&& step);

  DiscoveryPolicy policy_;
  DiscoveryState state_ = DiscoveryState::fetching_resource_metadata;
  std::vector<std::string> candidates_;
  std::size_t index_ = 0;
  FetchMetadata fetch_;
  std::optional<std::string> issuer_;  // the issuer the server metadata must name (none: the 2025-03-26 path)
  std::string origin_;                 // the 2025-03-26 path: the server's origin is the authorization server
  Discovery discovery_;
  std::exception_ptr error_;
};

// A discovery kept from an earlier run (store::DiscoveryRecord's documents).
struct StoredDiscovery {
  std::string issuer;
  std::string prm_url;  // "" when the server published none
  std::string prm_body;
  std::string as_url;  // "" when the metadata was defaulted
  std::string as_body;
};

// Parses and checks the stored documents again with the same rules as
// DiscoveryFlow (a stored record never bypasses a check), and that they
// come from where discovery would have fetched them for that issuer.
// Throws Error(invalid_metadata | resource_mismatch | issuer_mismatch | insecure_url).
Discovery discovery_from_stored(const StoredDiscovery& stored, const DiscoveryPolicy& policy);

// The key the server's tokens are stored under: the resource, or the server URL when none is sent.
std::string resource_key(const Discovery& discovery, const std::string& server_url);

// Whether DPoP can bind this server's tokens: the authorization server
// offers ES256 and the resource says it takes DPoP (a DPoP challenge, or
// its metadata listing DPoP). An authorization server offering DPoP says
// nothing about the resource, and a Bearer-only resource refuses a bound token for ever.
bool dpop_available(const Discovery& discovery, const AuthChallenge& challenge);

}  // namespace mcpauth::core::oauth

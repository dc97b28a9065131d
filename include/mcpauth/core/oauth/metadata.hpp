// Discovery documents and their validation: Protected Resource Metadata
// (RFC 9728) and Authorization Server Metadata (RFC 8414 / OpenID Connect
// Discovery), the well-known URLs to probe for each, in the order the MCP
// specification prescribes, and the 2025-03-26 fallback without metadata.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/core/url.hpp"

#include <nlohmann/json.hpp>

namespace mcpauth::core::oauth {

using Json = nlohmann::json;

// Metadata documents are small; a larger body is refused (SSRF/DoS bound).
inline constexpr std::size_t kMaxMetadataBytes = 256 * 1024;

struct ProtectedResourceMetadata {
  std::string resource;
  std::vector<std::string> authorization_servers;
  std::optional<std::vector<std::string>> scopes_supported;
  Json raw;
};

struct AuthorizationServerMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::optional<std::string> registration_endpoint;
  std::optional<std::string> revocation_endpoint;
  std::optional<std::string> device_authorization_endpoint;
  std::vector<std::string> response_types_supported;
  std::optional<std::vector<std::string>> code_challenge_methods_supported;
  std::optional<std::vector<std::string>> token_endpoint_auth_methods_supported;
  std::optional<std::vector<std::string>> grant_types_supported;
  std::optional<std::vector<std::string>> scopes_supported;
  bool client_id_metadata_document_supported = false;
  bool authorization_response_iss_parameter_supported = false;
  bool from_defaults = false;  // the 2025-03-26 fallback: no document was found
  Json raw;
};

// Where an OAuth URL may point: https, or http on a loopback host only.
// Throws Error(insecure_url) naming `what` ("token endpoint", ...).
void require_secure_url(const std::string& url, std::string_view what);

// require_secure_url, and where a URL that the MCP server (or its metadata)
// chose may send mcpauth (RFC 9728 §7.7, SSRF): a loopback host only when
// the MCP server itself is on loopback; never a link-local, unspecified or
// cloud metadata-service address. Host names are checked again at connect
// time (net::AddressRules). Throws Error(insecure_url) naming `what`.
void require_server_directed_url(const std::string& url, std::string_view what, const Url& server);

// The 2025-03-26 path (no protected resource metadata): the authorization
// server is the MCP server's origin, so the metadata found there must name
// that origin as its issuer (RFC 8414 §3.3; a trailing '/' is tolerated, it
// names the same origin). Otherwise another server's issuer could be claimed
// and that issuer's stored client used at this server's endpoints.
void require_origin_issuer(const AuthorizationServerMetadata& metadata, const std::string& origin,
                           const std::string& fetched_from);

// RFC 9728 §3.1 candidates for an MCP server URL: the path-inserted URL
// (when the URL has a path; trailing '/' dropped, query kept), then the root.
std::vector<std::string> protected_resource_metadata_urls(const std::string& server_url);

// Parses and validates a PRM document. Throws Error(invalid_metadata).
ProtectedResourceMetadata parse_protected_resource_metadata(std::string_view body, const std::string& fetched_from);

// Whether a PRM `resource` may describe `server_url`: same origin, and its
// path a prefix of the server's path on a segment boundary (what MCP root
// fallbacks need; RFC 9728 §3.3's exact match is the special case).
bool resource_matches(const std::string& prm_resource, const std::string& server_url);

// RFC 8414 / OIDC candidates for an issuer, in MCP's priority order.
std::vector<std::string> authorization_server_metadata_urls(const std::string& issuer);

// Parses and validates AS metadata. `expected_issuer` must equal the
// document's `issuer` code point by code point (RFC 8414 §3.3); pass
// nullopt only on the 2025-03-26 path where the spec had no such rule.
// Throws Error(invalid_metadata | issuer_mismatch | insecure_url).
AuthorizationServerMetadata parse_authorization_server_metadata(std::string_view body, const std::string& fetched_from,
                                                                const std::optional<std::string>& expected_issuer);

// PKCE S256 must be advertised (MCP 2025-11-25 §11.4). Throws Error(pkce_unsupported).
void require_pkce_s256(const AuthorizationServerMetadata& metadata);

// The 2025-03-26 defaults when no metadata exists: /authorize, /token,
// /register on the server's origin.
AuthorizationServerMetadata default_authorization_server_metadata(const std::string& server_url);

}  // namespace mcpauth::core::oauth

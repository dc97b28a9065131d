// What an MCP server needs before anything is stored: `mcpauth probe`.
//
// probe() asks the server once without credentials (a Streamable HTTP
// `initialize` POST, then a legacy SSE GET if the POST is not understood)
// and, on a 401, reads its OAuth metadata with every check discover() makes.
// It never registers a client, never stores anything, never opens a browser
// and never follows a redirect: the only requests are the POST (plus a DELETE
// of the session it may have opened), the GET, and the metadata GETs.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/error.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::auth {

struct ProbeOptions {
  std::string server_url;
  std::shared_ptr<net::HttpClient> http;
  // Bound on each request (the connection attempt is also capped at 10 s).
  std::chrono::milliseconds timeout{15'000};
};

struct ProbeResult {
  enum class Needs {
    nothing,       // the server answered without credentials
    static_token,  // 401 without usable OAuth metadata: a token given by other means (--header)
    oauth,         // 401 with usable OAuth metadata: `mcpauth login` can authorize
    forbidden,     // 403 without credentials (an Origin or IP rule, ...)
  };
  // How mcpauth would get a client id at `issuer` (oauth only).
  enum class Registration {
    dynamic,             // RFC 7591 registration_endpoint: mcpauth registers itself
    metadata_document,   // client_id_metadata_document_supported: --client-metadata-url
    client_id_required,  // neither: a pre-registered client, --client-id
  };

  Needs needs = Needs::nothing;
  // "streamable-http" or "sse" when the transport is known: the server
  // answered the POST (streamable-http), or refused the POST and answered the
  // GET (sse). None when the POST was refused with 401/403 before the server
  // said which transport it speaks.
  std::optional<std::string> transport;
  int status = 0;  // the HTTP status that decided the answer
  // Why: the discovery error for static_token, the start of the body for
  // forbidden, the from-defaults explanation, ... Never a header value or secret.
  std::optional<std::string> reason;
  // static_token because published metadata failed a check: invalid_metadata,
  // resource_mismatch, issuer_mismatch or insecure_url. None when nothing was published.
  std::optional<ErrorCode> metadata_error;

  // oauth only.
  std::optional<std::string> issuer;
  std::optional<std::string> resource;  // the RFC 8707 value mcpauth would send
  std::optional<std::string> scope;     // the challenge's scope, else the PRM's scopes_supported
  std::optional<Registration> registration;
  bool device_grant = false;  // core::oauth::supports_device_grant
  bool pkce_s256 = true;      // false: mcpauth will refuse to authorize there (MCP requires S256)
};

// Throws mcpauth::Error: usage (a bad URL), connection, timeout, http_status
// (any status not described above, e.g. 500, a redirect, 404 on both the POST
// and the GET), protocol (a 2xx that is not MCP), auth_server_unreachable
// (the metadata named an authorization server that cannot be reached).
ProbeResult probe(const ProbeOptions& options);

// Stable names for output: "none" | "static_token" | "oauth" | "forbidden".
std::string_view to_string(ProbeResult::Needs needs) noexcept;
// "dynamic" | "metadata_document" | "client_id_required".
std::string_view to_string(ProbeResult::Registration registration) noexcept;

}  // namespace mcpauth::auth

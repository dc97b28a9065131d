// One error type for the whole library. Every failure that crosses a public
// function boundary is an mcpauth::Error: a code a program can branch on and a
// message written for the person who will read it (what happened, where, and
// what to try). Messages never contain tokens, codes, verifiers or secrets.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mcpauth {

enum class ErrorCode {
  usage,               // the caller asked for something impossible (bad URL, bad option)
  connection,          // DNS, TCP, TLS or proxy failure: nothing usable came back
  timeout,             // the peer did not answer within the configured time
  response_too_large,  // the peer sent more than the configured bound
  http_status,         // an HTTP status the protocol does not allow here
  protocol,            // the peer answered, but not with valid MCP / JSON-RPC / SSE
  unauthorized,        // 401: the server wants credentials we do not have
  forbidden,           // 403: the credentials are not enough
  session_expired,     // the server no longer knows our Mcp-Session-Id (404)
  rpc_error,           // the server answered a request with a JSON-RPC error
  cancelled,           // the operation was cancelled by the caller or by close()

  // The authorization catalogue: what went wrong while obtaining a token.
  // A UI can act on each (ask the user, show a button, point at a setting).
  authorization_required,   // the server needs OAuth and no interactive consent is possible here
  consent_timeout,          // the user did not finish consent in time
  authorization_denied,     // the user or the authorization server refused (access_denied, ...)
  registration_rejected,    // no client id: DCR refused or unavailable, nothing pre-registered
  invalid_metadata,         // protected-resource or authorization-server metadata is unusable
  resource_mismatch,        // the metadata is for another resource than the server we talk to
  issuer_mismatch,          // the issuer in metadata or in the `iss` parameter is not the expected one
  state_mismatch,           // the callback's `state` is missing, wrong or already used
  pkce_unsupported,         // the authorization server does not advertise PKCE S256
  insecure_url,             // http off loopback, or a scheme that is never allowed
  token_rejected,           // the token endpoint refused (invalid_grant, invalid_client, ...)
  insufficient_scope,       // step-up did not obtain the scopes the server asks for
  auth_server_unreachable,  // the authorization server cannot be reached

  store,  // the local token store is unusable: corrupted, another program's, newer, or the wrong key
};

// Short stable name of a code ("connection", "timeout", ...), for logs and --json.
std::string_view to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string url = {}, int http_status = 0)
      : std::runtime_error(message), code_(code), url_(std::move(url)), http_status_(http_status) {}

  ErrorCode code() const noexcept { return code_; }
  // The URL the failure is about, when there is one (already in the message too).
  const std::string& url() const noexcept { return url_; }
  // The HTTP status that caused the error, or 0.
  int http_status() const noexcept { return http_status_; }
  // True when the request certainly never reached the peer (no connection
  // was made), so sending it again cannot make the peer act twice.
  bool never_sent() const noexcept { return never_sent_; }
  Error& mark_never_sent() noexcept {
    never_sent_ = true;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string url_;
  int http_status_;
  bool never_sent_ = false;
};

}  // namespace mcpauth

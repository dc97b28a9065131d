// One error type for the whole library. Every failure that crosses a public
// function boundary is an mcpauth::Error: a code a program can branch on and a
// message written for the person who will read it (what happened, where, and
// what to try). Messages never contain tokens, codes, verifiers or secrets.
//
// The message is neutral: it never names a command-line option or a command.
// What a program branches on is typed: the code, and the optional detail
// (the remedies the situation admits, the scope a server asks for, the
// issuers of a mix-up). A host renders its own hints from those: the mcpauth
// command its option names (src/app/error_hints.hpp), the gateway its
// dashboard, a UI its buttons.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

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

// Something the user (or the program on their behalf) can do about an
// error, in no host's words. An error lists the remedies its situation
// admits; none when the library knows of none beyond what the message says.
enum class Remedy : std::uint8_t {
  retry,                // start the same operation again (a code expired, a consent declined by mistake)
  interactive_consent,  // authorize interactively (consent in a browser) first, then try again
  open_url_manually,    // show the authorization URL and let the user open it (no browser here, or one elsewhere)
  use_device_grant,     // use the device authorization grant (RFC 8628): approve with a code on any device
  use_browser_grant,    // use the authorization code grant in a browser instead of the device grant
  pre_register_client,  // register a client with the authorization server and configure its client id
  static_token,         // the server may take a static credential: send it in an Authorization header
};

// Short stable name of a remedy ("retry", "use_device_grant", ...), for logs and JSON.
std::string_view to_string(Remedy remedy) noexcept;

// A set of remedies: one bit per Remedy, a plain value.
class Remedies {
 public:
  constexpr Remedies() noexcept = default;
  constexpr Remedies(std::initializer_list<Remedy> remedies) noexcept {
    for (const Remedy remedy : remedies) add(remedy);
  }
  constexpr Remedies& add(Remedy remedy) noexcept {
    bits_ |= bit(remedy);
    return *this;
  }
  constexpr bool has(Remedy remedy) const noexcept { return (bits_ & bit(remedy)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr std::uint32_t bits() const noexcept { return bits_; }
  friend constexpr bool operator==(Remedies, Remedies) noexcept = default;

 private:
  static constexpr std::uint32_t bit(Remedy remedy) noexcept {
    return std::uint32_t{1} << static_cast<unsigned>(remedy);
  }
  std::uint32_t bits_ = 0;
};

// Every Remedy, in declaration order: to render or serialise a set.
inline constexpr Remedy kAllRemedies[] = {
    Remedy::retry,
    Remedy::interactive_consent,
    Remedy::open_url_manually,
    Remedy::use_device_grant,
    Remedy::use_browser_grant,
    Remedy::pre_register_client,
    Remedy::static_token,
};

// The typed part of an error, for a program that branches on more than the
// code. Every field is optional (empty when unknown or not applicable).
//
// authorization_required and insufficient_scope are needs, not failures: a
// host that owns the user runs the authorization they describe
// (auth::Authorizer::authorize, Client::authorize) and sends its request
// again. For them `resource`, `issuer` and `required_scope` say what is needed.
struct ErrorDetail {
  Remedies remedies{};
  // insufficient_scope: the scope the server asks for (space-separated, as in
  // its challenge, joined with what was held). authorization_required: the
  // scope the authorization would ask for (the server's challenge's, else
  // what its metadata lists), when one is known.
  std::string required_scope{};
  // authorization_required, insufficient_scope: the protected resource (the
  // MCP server) the authorization is for, and the authorization server that
  // would grant it once discovery found it.
  std::string resource{};
  std::string issuer{};
  // issuer_mismatch: the issuer that was expected, and the one a document
  // named. received_issuer stays empty where the value came from an
  // authorization response (attacker-controlled input, never repeated).
  std::string expected_issuer{};
  std::string received_issuer{};

  bool empty() const noexcept {
    return remedies.empty() && required_scope.empty() && resource.empty() && issuer.empty() &&
           expected_issuer.empty() && received_issuer.empty();
  }
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string url = {}, int http_status = 0, ErrorDetail detail = {})
      : std::runtime_error(message),
        code_(code),
        url_(std::move(url)),
        http_status_(http_status),
        detail_(detail.empty() ? nullptr : std::make_shared<const ErrorDetail>(std::move(detail))) {}

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
  // The typed detail (all empty when the error carries none).
  const ErrorDetail& detail() const noexcept;
  Remedies remedies() const noexcept { return detail().remedies; }

 private:
  ErrorCode code_;
  std::string url_;
  int http_status_;
  bool never_sent_ = false;
  // Shared and immutable: copying an exception copies a pointer.
  std::shared_ptr<const ErrorDetail> detail_;
};

}  // namespace mcpauth

// The RFC 8628 device authorization grant as pure functions, for machines
// without a browser: mcpauth asks for a user code, the person approves it on
// another device, and mcpauth polls the token endpoint until they do. The
// polling loop (sleeping, sending) belongs to auth/; every decision it needs
// (what to send, what an answer means, how long to wait next) is made here so
// it can be tested from strings.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/metadata.hpp"

namespace mcpauth::core::oauth {

inline constexpr std::string_view kDeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code";

// Whether the device flow can be tried: the endpoint is advertised and, when
// the server lists its grant types, the device_code grant is among them.
bool supports_device_grant(const AuthorizationServerMetadata& metadata);

// RFC 8628 §3.1, with RFC 8707 `resource` so the token is audience-bound like
// the browser flow's.
TokenRequest device_authorization_request(const std::string& device_authorization_endpoint,
                                          const std::optional<std::string>& scope,
                                          const std::optional<std::string>& resource, const ClientRegistration& client,
                                          Clock::time_point now, std::string_view jti);

// What the person is shown and what mcpauth polls with. device_code is a
// credential: never print or log it.
struct DeviceAuthorization {
  std::string device_code;
  std::string user_code;                                 // printable ASCII, safe to show on a terminal
  std::string verification_uri;                          // https (or http on loopback)
  std::optional<std::string> verification_uri_complete;  // carries the user code; same rule
  Clock::time_point expires_at;
  std::chrono::seconds interval{5};
};

// Checks a device authorization answer (RFC 8628 §3.2): required fields,
// secure verification URIs (Google's older `verification_url` accepted),
// printable user code, sane expires_in and interval. Throws
// OAuthError(token_rejected) for an OAuth error answer, Error(insecure_url)
// or Error(protocol).
DeviceAuthorization parse_device_authorization_response(int status, std::string_view body, const std::string& endpoint,
                                                        Clock::time_point now);

// RFC 8628 §3.4.
TokenRequest device_token_request(const std::string& token_endpoint, std::string_view device_code,
                                  const std::optional<std::string>& resource, const ClientRegistration& client,
                                  Clock::time_point now, std::string_view jti);

// One poll's outcome. `tokens` is set exactly when kind is `tokens`.
struct DevicePollResult {
  enum class Kind { pending, slow_down, tokens };
  Kind kind = Kind::pending;
  std::optional<TokenSet> tokens;
};

// Classifies a token endpoint answer to a device poll (RFC 8628 §3.5).
// authorization_pending and slow_down are not errors: the caller waits
// next_interval() and polls again. Throws OAuthError(authorization_denied)
// for access_denied, OAuthError(consent_timeout) for expired_token, and what
// parse_token_response throws for anything else.
DevicePollResult parse_device_token_response(int status, std::string_view body, const std::string& endpoint,
                                             Clock::time_point now, const std::optional<std::string>& requested_scope,
                                             bool accept_dpop = false);

// The wait before the next poll: slow_down adds 5 s for good (RFC 8628 §3.5),
// capped so a server repeating it cannot stretch the wait without bound.
std::chrono::seconds next_interval(std::chrono::seconds current, DevicePollResult::Kind kind);

// Ends a poll loop at the code's lifetime (the server may never say
// expired_token). Throws Error(consent_timeout) once `now` reaches expires_at.
void check_device_code_expiry(const DeviceAuthorization& device, Clock::time_point now, const std::string& endpoint);

}  // namespace mcpauth::core::oauth

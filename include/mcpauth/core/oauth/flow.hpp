// The OAuth 2.1 authorization code flow as pure functions: building each
// request, checking each response. Nothing here sends anything: auth/ moves
// the bytes. Every check the MCP specification demands lives here, so it can
// be tested from strings: state, RFC 9207 `iss`, token_type, granted scope,
// and client authentication per registered method.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {

using Clock = std::chrono::system_clock;

enum class ClientKind { pre_registered, metadata_document, dynamic };
// The one spelling of a ClientKind, wherever it is written: the token store,
// --json output, `mcpauth status`, the dashboard ("pre_registered",
// "metadata_document", "dynamic").
std::string_view to_string(ClientKind kind) noexcept;
// Reads to_string's spelling and the one --json and the dashboard used before
// ("pre-registered", "client-id-metadata-document"); nullopt for anything else.
std::optional<ClientKind> parse_client_kind(std::string_view text) noexcept;

// A client identity, bound to the authorization server that knows it.
struct ClientRegistration {
  std::string issuer;
  std::string client_id;
  std::optional<std::string> client_secret;
  std::string token_endpoint_auth_method = "none";  // none | client_secret_basic | client_secret_post | private_key_jwt
  std::optional<std::string> private_key_pem;       // for private_key_jwt
  std::vector<std::string> redirect_uris;
  ClientKind kind = ClientKind::dynamic;
};

// The record of one authorization request, kept until its callback.
struct FlowRecord {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string client_id;
  std::string redirect_uri;
  std::string state;
  std::string code_verifier;
  std::string code_challenge;
  std::optional<std::string> scope;
  std::optional<std::string> resource;
  bool iss_parameter_supported = false;
};

// authorization_endpoint plus the request parameters (its own query kept).
std::string authorization_url(const FlowRecord& flow, const FormFields& extra = {});

// Checks a callback's parameters in the order that keeps an attacker's
// values unread: state, then iss (RFC 9207 §2.4, as 2026-07-28 tabulates),
// then error, then code. Returns the code. Throws Error(state_mismatch |
// issuer_mismatch | authorization_denied | protocol).
std::string code_from_callback(const FormFields& params, const FlowRecord& flow);

// A POST to the token (or revocation, device) endpoint.
struct TokenRequest {
  std::string url;
  std::string body;                          // application/x-www-form-urlencoded
  std::optional<std::string> authorization;  // an Authorization header value (Basic)
};

// Adds client authentication for `client` to a token request.
// `now` and `jti` feed the private_key_jwt assertion (aud = the issuer).
void authenticate_client(TokenRequest& request, FormFields& fields, const ClientRegistration& client,
                         Clock::time_point now, std::string_view jti);

// A form POST to `endpoint` with `fields` and the client's authentication:
// every token, device and revocation request is one.
TokenRequest authenticated_form(const std::string& endpoint, FormFields fields, const ClientRegistration& client,
                                Clock::time_point now, std::string_view jti);

TokenRequest authorization_code_request(const FlowRecord& flow, std::string_view code, const ClientRegistration& client,
                                        Clock::time_point now, std::string_view jti);
// `scope`: the scope granted (RFC 6749 §6 allows it; some authorization
// servers refuse a refresh without it). Empty or none: not sent.
TokenRequest refresh_token_request(const std::string& token_endpoint, std::string_view refresh_token,
                                   const std::optional<std::string>& resource, const ClientRegistration& client,
                                   Clock::time_point now, std::string_view jti,
                                   const std::optional<std::string>& scope = std::nullopt);
TokenRequest client_credentials_request(const std::string& token_endpoint, const std::optional<std::string>& scope,
                                        const std::optional<std::string>& resource, const ClientRegistration& client,
                                        Clock::time_point now, std::string_view jti);

// RFC 7523 §2.1: an assertion (a workload identity token, or an identity
// assertion from RFC 8693 token exchange) traded for an access token.
TokenRequest jwt_bearer_request(const std::string& token_endpoint, std::string_view assertion,
                                const std::optional<std::string>& scope, const std::optional<std::string>& resource,
                                const ClientRegistration& client, Clock::time_point now, std::string_view jti);

// RFC 8693 token exchange at an identity provider for an Identity Assertion
// JWT Authorization Grant (ID-JAG) aimed at an authorization server (SEP-990).
struct IdentityAssertionRequest {
  std::string idp_token_endpoint;
  std::string subject_token;  // the user's ID token at the IdP
  std::string audience;       // the authorization server's issuer
  std::optional<std::string> resource;
  std::optional<std::string> scope;
};
TokenRequest identity_assertion_request(const IdentityAssertionRequest& request, const ClientRegistration& idp_client,
                                        Clock::time_point now, std::string_view jti);
// The ID-JAG from a token exchange answer. Throws OAuthError(token_rejected) or Error(protocol).
std::string parse_identity_assertion_response(int status, std::string_view body, const std::string& endpoint);

struct TokenSet {
  std::string access_token;
  std::string token_type = "Bearer";
  std::optional<std::string> refresh_token;
  std::optional<Clock::time_point> expires_at;
  std::optional<Clock::time_point> issued_at;  // when it was received: with expires_at, the lifetime
  std::optional<std::string> scope;            // granted (or, when the AS is silent, requested) scope
  // DPoP-bound tokens (token_type DPoP) are useless without the key they are
  // bound to: its private key (PKCS#8 PEM) travels and is stored with them.
  std::optional<std::string> dpop_key_pem;
};

// An error answer of an OAuth endpoint (RFC 6749 §5.2), with its code.
class OAuthError : public Error {
 public:
  OAuthError(ErrorCode code, const std::string& message, std::string url, int status, std::string oauth_error,
             ErrorDetail detail = {})
      : Error(code, message, std::move(url), status, std::move(detail)), oauth_error_(std::move(oauth_error)) {}
  const std::string& oauth_error() const noexcept { return oauth_error_; }

 private:
  std::string oauth_error_;
};

// Validates a token endpoint answer: 200, JSON, no `error` (some servers
// send errors with 200), a Bearer token_type (or DPoP when asked for), expiry made absolute. Keeps
// `previous_refresh_token` when none is returned. Throws OAuthError(token_rejected)
// or Error(protocol).
TokenSet parse_token_response(int status, std::string_view body, const std::string& endpoint, Clock::time_point now,
                              const std::optional<std::string>& requested_scope,
                              const std::optional<std::string>& previous_refresh_token, bool accept_dpop = false);

// Dynamic Client Registration (RFC 7591).
struct RegistrationRequest {
  std::string client_name = "mcpauth";
  std::vector<std::string> redirect_uris;
  std::optional<std::string> scope;
  std::string token_endpoint_auth_method = "none";
  std::string application_type = "native";
  std::vector<std::string> grant_types = {"authorization_code", "refresh_token"};
  std::string software_id = "mcpauth";
  std::string software_version;
};
std::string registration_body(const RegistrationRequest& request);
// The method to ask for: `none` unless the server only lists secret methods.
std::string preferred_auth_method(const AuthorizationServerMetadata& metadata);
ClientRegistration parse_registration_response(int status, std::string_view body, const std::string& endpoint,
                                               const std::string& issuer, const RegistrationRequest& request,
                                               const AuthorizationServerMetadata& metadata);

// The scope of a first authorization (MCP 2025-11-25 §6): the challenge's,
// else all of the PRM's scopes_supported, else none; plus offline_access
// when the authorization server lists it.
std::optional<std::string> initial_scope(const AuthChallenge& challenge, const ProtectedResourceMetadata* prm,
                                         const AuthorizationServerMetadata& metadata);
// The scopes of a space-separated scope string.
std::vector<std::string> scope_list(std::string_view scope);
// Space-separated union, order of first appearance kept.
std::string scope_union(std::string_view a, std::string_view b);
// Whether every scope in `required` is in `granted`.
bool scope_covers(std::string_view granted, std::string_view required);

}  // namespace mcpauth::core::oauth

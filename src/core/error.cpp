#include "mcpauth/error.hpp"

namespace mcpauth {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::usage: return "usage";
    case ErrorCode::connection: return "connection";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::response_too_large: return "response_too_large";
    case ErrorCode::http_status: return "http_status";
    case ErrorCode::protocol: return "protocol";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::session_expired: return "session_expired";
    case ErrorCode::rpc_error: return "rpc_error";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::authorization_required: return "authorization_required";
    case ErrorCode::consent_timeout: return "consent_timeout";
    case ErrorCode::authorization_denied: return "authorization_denied";
    case ErrorCode::registration_rejected: return "registration_rejected";
    case ErrorCode::invalid_metadata: return "invalid_metadata";
    case ErrorCode::resource_mismatch: return "resource_mismatch";
    case ErrorCode::issuer_mismatch: return "issuer_mismatch";
    case ErrorCode::state_mismatch: return "state_mismatch";
    case ErrorCode::pkce_unsupported: return "pkce_unsupported";
    case ErrorCode::insecure_url: return "insecure_url";
    case ErrorCode::token_rejected: return "token_rejected";
    case ErrorCode::insufficient_scope: return "insufficient_scope";
    case ErrorCode::auth_server_unreachable: return "auth_server_unreachable";
    case ErrorCode::store: return "store";
  }
  return "unknown";
}

std::string_view to_string(Remedy remedy) noexcept {
  switch (remedy) {
    case Remedy::retry: return "retry";
    case Remedy::interactive_consent: return "interactive_consent";
    case Remedy::open_url_manually: return "open_url_manually";
    case Remedy::use_device_grant: return "use_device_grant";
    case Remedy::use_browser_grant: return "use_browser_grant";
    case Remedy::pre_register_client: return "pre_register_client";
    case Remedy::static_token: return "static_token";
  }
  return "unknown";
}

const ErrorDetail& Error::detail() const noexcept {
  static const ErrorDetail kNone;
  return detail_ ? *detail_ : kNone;
}

}  // namespace mcpauth

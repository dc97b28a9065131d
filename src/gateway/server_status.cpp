#include "server_status.hpp"

namespace mcpauth::gateway {

using Json = nlohmann::json;

std::string_view error_action(std::optional<ErrorCode> code) {
  if (!code) return "configure";  // the entry itself could not be read
  switch (*code) {
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
    case ErrorCode::cancelled:
    case ErrorCode::authorization_required:
    case ErrorCode::consent_timeout:
    case ErrorCode::authorization_denied:
    case ErrorCode::state_mismatch:
    case ErrorCode::token_rejected:
    case ErrorCode::insufficient_scope: return "authorize";
    case ErrorCode::usage:
    case ErrorCode::registration_rejected:
    case ErrorCode::invalid_metadata:
    case ErrorCode::resource_mismatch:
    case ErrorCode::issuer_mismatch:
    case ErrorCode::pkce_unsupported:
    case ErrorCode::insecure_url:
    case ErrorCode::store: return "configure";
    case ErrorCode::connection:
    case ErrorCode::timeout:
    case ErrorCode::response_too_large:
    case ErrorCode::http_status:
    case ErrorCode::protocol:
    case ErrorCode::session_expired:
    case ErrorCode::rpc_error:
    case ErrorCode::auth_server_unreachable: return "reconnect";
  }
  return "reconnect";
}

Json server_status(const Json& row, const RowFacts& facts) {
  const std::string state = row.value("state", "");
  Json out = Json::object();
  const auto with_grant = [&](const char* name) {
    out["state"] = name;
    out["expires_at"] = row.value("expires_at", Json(nullptr));
    out["scopes"] = row.value("scopes", Json(nullptr));
  };
  if (state == "authorizing") {
    out["state"] = "authorizing";
    out["authorization_url"] = row.value("authorization_url", Json(nullptr));
  } else if (state == "authorized" || state == "refreshing") {
    with_grant(state.c_str());
  } else if (state == "ready") {
    with_grant("authorized");  // nothing to authorize: the server answered
  } else if (state == "error") {
    out["state"] = "error";
    out["reason"] = row.value("last_error", Json(nullptr));
    out["action"] = std::string(error_action(facts.error_code));
  } else if (facts.grant_expired) {
    with_grant("expired");
  } else {
    out["state"] = "needs_authorization";
    // Why the last authorization failed (denied, timed out), when it did.
    if (!row.value("last_error", Json(nullptr)).is_null()) out["reason"] = row["last_error"];
  }
  out["auth"] = row.value("auth", Json(nullptr));
  return out;
}

}  // namespace mcpauth::gateway

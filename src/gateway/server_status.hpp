// The chip a host shows for one server and user: GET
// /api/servers/NAME/status, worked out from the dashboard's row of that
// server (dashboard_state.cpp) so the two never disagree.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "mcpauth/error.hpp"

namespace mcpauth::gateway {

// What a row's state does not say by itself.
struct RowFacts {
  bool grant_expired = false;             // a grant is stored, its access token expired, no refresh token
  std::optional<ErrorCode> error_code{};  // the code behind the row's last_error (none: a configuration error)
};

// {"state": "needs_authorization" | "authorizing" | "authorized" |
// "refreshing" | "expired" | "error", ...}: expires_at and scopes with a
// grant, authorization_url while authorizing, reason and action for an error
// (docs/gateway.md). A server without OAuth that answered is "authorized"
// with its "auth" ("none" or "static").
nlohmann::json server_status(const nlohmann::json& row, const RowFacts& facts);

// What a person can do about an error of this code: "authorize" (authorize
// again), "reconnect" (try again: the server or the network failed), or
// "configure" (the server's entry or the gateway's setup must change).
std::string_view error_action(std::optional<ErrorCode> code);

}  // namespace mcpauth::gateway

// Extra parameters of the authorization request (audience, login_hint,
// access_type, prompt, ...) that some authorization servers require: which
// ones a host may add. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::core::oauth {

// Why `name` may not be an extra authorization parameter, or nullopt when
// it may. Refused: what the flow derives per request (response_type,
// client_id, redirect_uri, state, code_challenge, code_challenge_method),
// what has its own setting so that the token requests agree (scope,
// resource), what would replace the whole request (request, request_uri;
// RFC 9101/9126), the response's own parameters (code, iss), and names
// that are empty or hold characters outside RFC 6749's parameter names.
std::optional<std::string> refused_authorization_param(std::string_view name);

// Throws Error(usage) naming the first parameter refused, with the reason;
// a name given twice is refused too (its value would be ambiguous).
void check_extra_authorization_params(const FormFields& params);

}  // namespace mcpauth::core::oauth

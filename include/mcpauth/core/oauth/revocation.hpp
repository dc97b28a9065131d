// RFC 7009 token revocation as pure functions, so `logout` can tell the
// authorization server to forget a token instead of only deleting it locally
// (a leaked refresh token would otherwise stay usable until it expires).
#pragma once

#include <string>
#include <string_view>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::core::oauth {

// RFC 7009 §2.1. `token_type_hint` is "refresh_token", "access_token" or
// empty (no hint). The client authenticates as at the token endpoint; a
// public client sends its client_id in the body.
TokenRequest revocation_request(const std::string& revocation_endpoint, std::string_view token,
                                std::string_view token_type_hint, const ClientRegistration& client,
                                Clock::time_point now, std::string_view jti);

// RFC 7009 §2.2: 200 is success whatever the body (an unknown or already
// revoked token counts as revoked). Throws Error(auth_server_unreachable) on
// 503, saying when to try again when `retry_after` (the header's value) is a
// number of seconds; OAuthError(token_rejected) for an error answer,
// unsupported_token_type included.
void check_revocation_response(int status, std::string_view body, const std::string& endpoint,
                               std::string_view retry_after = {});

}  // namespace mcpauth::core::oauth

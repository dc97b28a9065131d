// What a stored grant can still do, worked out in one place from its tokens
// and the time: `mcpauth status`, the dashboard and the Authorizer all ask.
#pragma once

#include <string_view>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::core::oauth {

enum class GrantState {
  valid,                // the access token has not expired (or states no expiry)
  expiring,             // not expired yet, but within the refresh margin, and refreshable: refresh first
  expired_refreshable,  // the access token expired; the refresh token may get a new one
  expired,              // the access token expired and there is no refresh token: authorize again
};

// "valid", "expiring", "expired_refreshable", "expired".
std::string_view to_string(GrantState state) noexcept;

// A grant whose access token is usable, now or after a refresh (all but expired).
bool usable(GrantState state) noexcept;

// The state of `tokens` at `now`. An access token expires at its expires_at
// (expires_at <= now). `refresh_margin` is how long before that a held
// refresh token should be used, capped at half the token's lifetime when
// issued_at is known (a 3-minute token is not refreshed on every request);
// zero, the default, never answers `expiring`.
GrantState grant_state(const TokenSet& tokens, Clock::time_point now,
                       Clock::duration refresh_margin = Clock::duration::zero());

}  // namespace mcpauth::core::oauth

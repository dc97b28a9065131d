#include "mcpauth/core/oauth/grant_state.hpp"

#include <algorithm>

namespace mcpauth::core::oauth {

std::string_view to_string(GrantState state) noexcept {
  switch (state) {
    case GrantState::valid: return "valid";
    case GrantState::expiring: return "expiring";
    case GrantState::expired_refreshable: return "expired_refreshable";
    case GrantState::expired: return "expired";
  }
  return "expired";
}

bool usable(GrantState state) noexcept {
  return state != GrantState::expired;
}

GrantState grant_state(const TokenSet& tokens, Clock::time_point now, Clock::duration refresh_margin) {
  if (!tokens.expires_at) return GrantState::valid;
  const bool refreshable = tokens.refresh_token.has_value();
  if (*tokens.expires_at <= now) return refreshable ? GrantState::expired_refreshable : GrantState::expired;
  Clock::duration margin = refresh_margin;
  if (tokens.issued_at) margin = std::min(margin, (*tokens.expires_at - *tokens.issued_at) / 2);
  if (refreshable && now + margin >= *tokens.expires_at) {
    return GrantState::expiring;
  }
  return GrantState::valid;
}

}  // namespace mcpauth::core::oauth

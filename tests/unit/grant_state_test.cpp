// The one answer to "what can this stored grant still do" (core/oauth/grant_state.hpp).
#include "mcpauth/core/oauth/grant_state.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mcpauth::core::oauth;
using namespace std::chrono_literals;

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

TokenSet tokens(std::optional<Clock::duration> expires_in, bool refresh,
                std::optional<Clock::duration> lifetime = std::nullopt) {
  TokenSet t;
  t.access_token = "access";
  if (expires_in) t.expires_at = kNow + *expires_in;
  if (expires_in && lifetime) t.issued_at = *t.expires_at - *lifetime;
  if (refresh) t.refresh_token = "refresh";
  return t;
}

TEST(GrantState, WithoutAnExpiryTheTokenIsValid) {
  EXPECT_EQ(grant_state(tokens(std::nullopt, false), kNow), GrantState::valid);
  EXPECT_EQ(grant_state(tokens(std::nullopt, true), kNow, 1h), GrantState::valid);
}

TEST(GrantState, ExpiredAtTheInstantOfExpiry) {
  EXPECT_EQ(grant_state(tokens(1s, false), kNow), GrantState::valid);
  EXPECT_EQ(grant_state(tokens(0s, false), kNow), GrantState::expired);
  EXPECT_EQ(grant_state(tokens(-1h, false), kNow), GrantState::expired);
  EXPECT_EQ(grant_state(tokens(0s, true), kNow), GrantState::expired_refreshable);
  EXPECT_EQ(grant_state(tokens(-1h, true), kNow), GrantState::expired_refreshable);
}

TEST(GrantState, ExpiringOnlyWithinTheMarginAndWithARefreshToken) {
  EXPECT_EQ(grant_state(tokens(30s, true), kNow, 60s), GrantState::expiring);
  EXPECT_EQ(grant_state(tokens(60s, true), kNow, 60s), GrantState::expiring);
  EXPECT_EQ(grant_state(tokens(61s, true), kNow, 60s), GrantState::valid);
  EXPECT_EQ(grant_state(tokens(30s, false), kNow, 60s), GrantState::valid);  // nothing to refresh with
  EXPECT_EQ(grant_state(tokens(30s, true), kNow), GrantState::valid);        // no margin asked for
}

TEST(GrantState, TheMarginIsCappedAtHalfTheLifetime) {
  // A 3-minute token with a 5-minute margin: refreshed in its second half only.
  EXPECT_EQ(grant_state(tokens(100s, true, 180s), kNow, 300s), GrantState::valid);
  EXPECT_EQ(grant_state(tokens(90s, true, 180s), kNow, 300s), GrantState::expiring);
  EXPECT_EQ(grant_state(tokens(100s, true), kNow, 300s), GrantState::expiring);  // lifetime unknown
}

TEST(GrantState, NamesAndUsability) {
  EXPECT_EQ(to_string(GrantState::valid), "valid");
  EXPECT_EQ(to_string(GrantState::expiring), "expiring");
  EXPECT_EQ(to_string(GrantState::expired_refreshable), "expired_refreshable");
  EXPECT_EQ(to_string(GrantState::expired), "expired");
  EXPECT_TRUE(usable(GrantState::valid));
  EXPECT_TRUE(usable(GrantState::expiring));
  EXPECT_TRUE(usable(GrantState::expired_refreshable));
  EXPECT_FALSE(usable(GrantState::expired));
}

}  // namespace

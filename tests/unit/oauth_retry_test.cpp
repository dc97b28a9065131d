// When a token request is sent again: 5xx and 429 only, Retry-After honoured
// within the bound, a bounded number of attempts.
#include <gtest/gtest.h>

#include "mcpauth/core/oauth/retry.hpp"

namespace mcpauth::core::oauth {
namespace {

using std::chrono::milliseconds;

TEST(OAuthRetry, OnlyServerTroubleAndTooManyRequestsAreTransient) {
  for (int status : {429, 500, 502, 503, 504, 599}) EXPECT_TRUE(is_transient_status(status)) << status;
  for (int status : {200, 201, 302, 400, 401, 403, 404, 408, 428, 430, 600, 0}) {
    EXPECT_FALSE(is_transient_status(status)) << status;
  }
}

TEST(OAuthRetry, RetryAfterIsDeltaSeconds) {
  EXPECT_EQ(retry_after_seconds("3"), 3);
  EXPECT_EQ(retry_after_seconds(" 0 "), 0);
  EXPECT_EQ(retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(retry_after_seconds("-1"), std::nullopt);
  EXPECT_EQ(retry_after_seconds("1.5"), std::nullopt);
  EXPECT_EQ(retry_after_seconds(""), std::nullopt);
  EXPECT_EQ(retry_after_seconds("9999999999"), std::nullopt);  // bounded in length
}

TEST(OAuthRetry, RetryAfterWithinTheBoundIsWaitedFor) {
  EXPECT_EQ(retry_delay(1, "2"), milliseconds(2000));
  EXPECT_EQ(retry_delay(2, "10"), milliseconds(10'000));
  EXPECT_EQ(retry_delay(1, "0"), milliseconds(0));
}

TEST(OAuthRetry, ALongerRetryAfterIsNotWaitedFor) {
  EXPECT_EQ(retry_delay(1, "11"), std::nullopt);
  EXPECT_EQ(retry_delay(1, "3600"), std::nullopt);
}

TEST(OAuthRetry, WithoutRetryAfterTheBackoffDoublesWithinTheBound) {
  RetryPolicy policy;
  policy.max_attempts = 10;
  EXPECT_EQ(retry_delay(1, std::nullopt, policy), milliseconds(500));
  EXPECT_EQ(retry_delay(2, std::nullopt, policy), milliseconds(1000));
  EXPECT_EQ(retry_delay(3, "a date or junk", policy), milliseconds(2000));
  EXPECT_EQ(retry_delay(9, std::nullopt, policy), milliseconds(10'000));
}

TEST(OAuthRetry, AttemptsAreBounded) {
  EXPECT_TRUE(retry_delay(1, std::nullopt).has_value());
  EXPECT_TRUE(retry_delay(2, std::nullopt).has_value());
  EXPECT_EQ(retry_delay(3, std::nullopt), std::nullopt);  // three attempts in all
  EXPECT_EQ(retry_delay(0, std::nullopt), std::nullopt);
}

}  // namespace
}  // namespace mcpauth::core::oauth

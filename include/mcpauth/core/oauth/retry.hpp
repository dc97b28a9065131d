// When to send the same token request again (sans-I/O): an authorization
// server that answers 5xx or 429, or that could not be reached at all, has
// not consumed the authorization code or refresh token, so one more try costs
// nothing while giving up costs the user a second consent.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mcpauth::core::oauth {

struct RetryPolicy {
  int max_attempts = 3;                          // the first try included
  std::chrono::milliseconds max_wait{10'000};    // a longer Retry-After is not waited for
  std::chrono::milliseconds first_backoff{500};  // without Retry-After: doubled per attempt
};

// 5xx and 429: the server says it could not handle the request now. Any
// other 4xx is an answer about the request itself and is never retried.
bool is_transient_status(int status) noexcept;

// Retry-After (RFC 9110 §10.2.3) as delta-seconds; an HTTP-date (which needs
// a clock) or junk gives nullopt.
std::optional<long> retry_after_seconds(std::string_view value);

// How long to wait before attempt `attempts_made + 1`, or nullopt when the
// request is not to be sent again (attempts used up, or the server asks for a
// longer wait than the policy allows). `retry_after` is the header's value, if any.
std::optional<std::chrono::milliseconds> retry_delay(int attempts_made, std::optional<std::string_view> retry_after,
                                                     const RetryPolicy& policy = {});

}  // namespace mcpauth::core::oauth

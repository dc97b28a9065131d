#include "mcpauth/core/oauth/retry.hpp"

#include <algorithm>
#include <string>

namespace mcpauth::core::oauth {

bool is_transient_status(int status) noexcept {
  return status == 429 || (status >= 500 && status <= 599);
}

std::optional<long> retry_after_seconds(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return std::stol(std::string(value));
}

std::optional<std::chrono::milliseconds> retry_delay(int attempts_made, std::optional<std::string_view> retry_after,
                                                     const RetryPolicy& policy) {
  if (attempts_made < 1 || attempts_made >= policy.max_attempts) return std::nullopt;
  if (retry_after) {
    if (const auto seconds = retry_after_seconds(*retry_after)) {
      const std::chrono::milliseconds asked = std::chrono::seconds(*seconds);
      if (asked > policy.max_wait) return std::nullopt;
      return asked;
    }
  }
  // No usable Retry-After: a short exponential backoff, within the same bound.
  const auto backoff = policy.first_backoff * (1L << std::min(attempts_made - 1, 16));
  return std::min<std::chrono::milliseconds>(backoff, policy.max_wait);
}

}  // namespace mcpauth::core::oauth

// Retry-After and the retry policy of token requests (core/oauth/retry). The
// first byte is the number of attempts made (value % 5); the rest is the
// header's value, from a server that may be hostile. Nothing may escape, a
// parsed value is never negative, and no delay ever exceeds the policy's
// bound (a server cannot make mcpauth wait longer than it allows).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "mcpauth/core/oauth/retry.hpp"

namespace oauth = mcpauth::core::oauth;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_retry_after: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int attempts_made = data[0] % 5;
  const std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);

  if (const auto seconds = oauth::retry_after_seconds(value); seconds && *seconds < 0) fail("negative Retry-After");

  const oauth::RetryPolicy policy;
  for (const auto& header : {std::optional<std::string_view>(value), std::optional<std::string_view>()}) {
    const auto delay = oauth::retry_delay(attempts_made, header, policy);
    if (!delay) continue;
    if (attempts_made >= policy.max_attempts) fail("a delay after the last attempt");
    if (*delay < std::chrono::milliseconds(0) || *delay > policy.max_wait) fail("a delay outside the policy");
  }
  return 0;
}

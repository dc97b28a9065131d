// How mcpauth quotes an OAuth error a server sent (RFC 6749 §5.2 `error` and
// `error_description`, in a callback, a token, registration, device or
// revocation response): through the one sanitizer, capped, never raw.
#pragma once

#include <string>
#include <string_view>

#include "mcpauth/core/printable.hpp"

namespace mcpauth::core::oauth {

inline constexpr std::size_t kMaxQuotedErrorBytes = 100;
inline constexpr std::size_t kMaxQuotedDescriptionBytes = 300;

// "invalid_grant (the code has expired)", or just the error when there is no description.
inline std::string describe_oauth_error(std::string_view error, std::string_view description) {
  std::string text = printable(error, kMaxQuotedErrorBytes);
  if (!description.empty()) text += " (" + printable(description, kMaxQuotedDescriptionBytes) + ")";
  return text;
}

}  // namespace mcpauth::core::oauth

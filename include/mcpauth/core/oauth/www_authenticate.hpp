// WWW-Authenticate parsing (RFC 9110 §11.6.1): several challenges per field
// and several fields, case-insensitive scheme and parameter names, values as
// tokens or quoted strings (with backslash escapes and commas inside), and
// token68. Tolerant of junk: what cannot be parsed is skipped, never thrown.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpauth::core::oauth {

struct Challenge {
  std::string scheme;                                       // as sent; compare case-insensitively
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, values unquoted
  std::optional<std::string> token68;

  bool is(std::string_view scheme_name) const noexcept;
  std::optional<std::string> param(std::string_view name) const;  // name in lower case
};

// Parses every field value of WWW-Authenticate in order.
std::vector<Challenge> parse_www_authenticate(const std::vector<std::string>& field_values);

// What MCP authorization needs from the challenges of a 401/403.
struct AuthChallenge {
  std::optional<std::string> resource_metadata;  // RFC 9728 §5.1; may come with any scheme
  std::optional<std::string> scope;              // RFC 6750 §3, space separated
  std::optional<std::string> error;              // invalid_token, insufficient_scope, ...
  std::optional<std::string> error_description;
  bool bearer = false;  // a Bearer challenge was present
  bool dpop = false;    // a DPoP challenge was present (RFC 9449 §7.1: the resource takes DPoP-bound tokens)
};

// Prefers the Bearer challenge; takes resource_metadata from any scheme.
AuthChallenge summarize(const std::vector<Challenge>& challenges);

}  // namespace mcpauth::core::oauth

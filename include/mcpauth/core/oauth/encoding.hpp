// The encodings OAuth messages use: base64url, SHA-256, the
// application/x-www-form-urlencoded format (on top of libcurl's escaping)
// and HTTP Basic credentials. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpauth::core::oauth {

using FormFields = std::vector<std::pair<std::string, std::string>>;

std::string base64url(std::span<const std::uint8_t> bytes);  // no padding
std::string base64url(std::string_view bytes);
std::string base64(std::string_view bytes);  // standard, padded
std::string sha256(std::string_view bytes);  // 32 raw bytes

std::string form_escape(std::string_view value);
std::string form_encode(const FormFields& fields);
// Decodes "a=1&b=x+y"; bounded to 100 fields of 64 KiB. Throws Error(protocol).
FormFields parse_form(std::string_view text);
// The first value of `name`, if present.
const std::string* find_field(const FormFields& fields, std::string_view name);

// RFC 6749 §2.3.1: id and secret form-encoded, then joined and base64-encoded.
std::string basic_credentials(std::string_view client_id, std::string_view client_secret);

}  // namespace mcpauth::core::oauth

// Small text helpers for HTTP syntax and messages, one home each: ASCII case
// folding and comparison (header names, schemes, auth schemes), RFC 9110
// tokens, media types, and a one-line excerpt of a peer's text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcpauth::core {

// ASCII lower case; other bytes (UTF-8 included) are left alone.
std::string lower(std::string_view text);

// Equal ignoring ASCII case (HTTP header names, schemes, auth schemes).
bool iequals(std::string_view a, std::string_view b) noexcept;

// An RFC 9110 tchar: a letter, a digit or one of !#$%&'*+-.^_`|~.
bool is_token_char(unsigned char c) noexcept;
// A non-empty RFC 9110 token (a header name, an auth scheme).
bool is_token(std::string_view text) noexcept;

// Whether `list` holds `value` exactly (metadata lists: scopes, methods, grant types).
bool contains(const std::vector<std::string>& list, std::string_view value) noexcept;

// The media type of a Content-Type value, lower case, without parameters or
// white space ("Application/JSON; charset=utf-8" -> "application/json").
std::string media_type(std::string_view content_type);

// The start of a body or header value for a message: at most `max_bytes`
// of it, control characters (C0 and DEL) blanked so it stays on one line,
// trailing blanks dropped, and "..." appended when it was cut.
std::string excerpt(std::string_view text, std::size_t max_bytes);

}  // namespace mcpauth::core

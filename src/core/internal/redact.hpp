// What a debug log may show of an HTTP exchange (ClientOptions::log, the
// command's --verbose): URLs, form bodies and JSON bodies with every value
// that could be a credential left out. Pure functions, security-critical,
// so the rule is an allowlist: a value is shown only when its name is known
// to carry nothing secret (grant_type, scope, token_type, expires_in, ...);
// codes, verifiers, tokens, secrets, assertions, state, and any name not
// known (an API key in a server's query string), are never shown.
#pragma once

#include <string>
#include <string_view>

namespace mcpauth::core {

// Whether the value of a query, form or top-level JSON member of this name
// may be logged.
bool is_loggable_parameter(std::string_view name) noexcept;

// The URL as a log line shows it: scheme, host, port and path as written;
// a password in the userinfo, each query value whose name is not loggable
// and the fragment replaced by "[redacted]"
// ("https://as/cb?code=[redacted]&iss=https%3A%2F%2Fas").
std::string redact_url(std::string_view url);

// A message with every http:// or https:// URL in it as redact_url shows it
// (an error naming a server whose URL carries an API key in its query). A
// URL runs to the next space, control character, quote or angle bracket;
// the sentence's own punctuation after it (".,;:)") stays outside.
std::string redact_urls_in(std::string_view text);

// A form body (application/x-www-form-urlencoded) as "form{name=value ...}":
// every name, decoded; the decoded values of loggable names, "[redacted]"
// for the others. "form (not readable)" when it does not parse.
std::string describe_form(std::string_view body);

// A JSON body as "json{name name=value ...}": the top-level member names in
// order, with "=value" only for loggable names whose value is a string,
// number or boolean ("[a,b]" for an array of those); nested values are
// never shown. "json[N]" for an array of N elements; "" when the body is
// not JSON (or too large to look at).
std::string describe_json(std::string_view body);

}  // namespace mcpauth::core

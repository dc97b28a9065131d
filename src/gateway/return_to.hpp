// Where a host's page may have the browser sent back after an
// authorization (`return_to` of POST /api/servers/NAME/authorize): only to a
// URL under one of the prefixes the gateway was started with
// (--allowed-return-url), so the gateway is no open redirector.
#pragma once

#include <string>
#include <vector>

namespace mcpauth::gateway {

// Each prefix must be an absolute http(s) URL with a path ("https://app.example/settings/"):
// the path keeps "https://app.example" from also matching "https://app.example.evil/".
// Throws Error(usage) naming the first bad one.
void check_return_url_prefixes(const std::vector<std::string>& prefixes);

// Whether `return_to` is an http(s) URL of the same origin as one of the
// prefixes whose path starts with that prefix's path, without dot segments,
// backslashes or characters a Location header cannot carry.
bool return_to_allowed(const std::vector<std::string>& prefixes, const std::string& return_to);

}  // namespace mcpauth::gateway

// The 2026-07-28 revision's rule for what a request repeats in HTTP headers
// so that intermediaries can route it without reading the body: the version
// its `_meta` names (MCP-Protocol-Version), its method (Mcp-Method) and the
// tool, prompt or resource it names (Mcp-Name). Pure functions; the
// Streamable HTTP transport adds what they return to each POST.
#pragma once

#include <string>
#include <string_view>

#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::mcp::detail {

// A header value as 2026-07-28 "Value Encoding" asks: as it is when it is
// printable ASCII (space included) without a space at either end and does not
// itself look like the sentinel; otherwise "=?base64?" + base64(value) + "?=".
std::string header_safe(std::string_view value);

// The headers mirrored from a message of `method` with `params`: none unless
// params._meta names its protocol version (a modern-era message); then
// MCP-Protocol-Version, Mcp-Method, and Mcp-Name from params.name or else
// params.uri (header_safe) when one is a string.
net::HttpHeaders mirrored_headers(std::string_view method, const Json& params);

}  // namespace mcpauth::mcp::detail

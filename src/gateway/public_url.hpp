// The gateway's public address (--public-url): the https URL a TLS reverse
// proxy serves it at, from which its OAuth callback and its own Client ID
// Metadata Document (CIMD, the registration method MCP prefers since
// 2025-11-25) are named, so a team's gateway is one well-named client at
// every authorization server that fetches such documents.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mcpauth::gateway {

// Where the gateway serves its Client ID Metadata Document, under the public URL.
inline constexpr const char* kClientMetadataPath = "/oauth/client-metadata.json";
inline constexpr const char* kCallbackPath = "/oauth/callback";

// The public URL as the gateway uses it: "scheme://host[:port][/path]", the
// scheme and host in lower case, the port only when not the scheme's
// default, no trailing slash. https, or http on a loopback host (local use,
// tests); no user info, query or fragment; no dot segments. Throws
// Error(usage) saying what is wrong.
std::string normalize_public_url(const std::string& text);

// The document authorization servers fetch: its client_id is its own URL
// (public URL + kClientMetadataPath, compared as a string), its only
// redirect URI public URL + kCallbackPath, a public client (no secret).
nlohmann::json client_metadata_document(const std::string& public_url);

}  // namespace mcpauth::gateway

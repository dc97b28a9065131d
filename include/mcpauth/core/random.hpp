// Unguessable values from OpenSSL's CSPRNG: PKCE verifiers, OAuth state, jti
// of client assertions and revocation requests, the gateway's session ids and
// CSRF token. The one source of randomness for anything a peer must not guess.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace mcpauth::core {

// 32 random bytes. Throws Error(usage) when the system's generator fails (ErrorCode has no internal code).
std::array<std::uint8_t, 32> random_bytes();

// 256 random bits as base64url (43 characters, no padding).
std::string random_token();

}  // namespace mcpauth::core

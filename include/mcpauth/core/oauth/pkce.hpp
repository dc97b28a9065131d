// PKCE (RFC 7636) with S256 only. The randomness is passed in, so this stays
// sans-I/O and testable with the RFC's own vectors; auth/ supplies 32 bytes
// from the OS CSPRNG.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mcpauth::core::oauth {

struct Pkce {
  std::string verifier;   // 43 characters of base64url for 32 random bytes
  std::string challenge;  // BASE64URL(SHA256(verifier))
  static constexpr std::string_view method = "S256";
};

// Throws Error(usage) for fewer than 32 bytes (less than 256 bits).
Pkce make_pkce(std::span<const std::uint8_t> random_bytes);
std::string s256_challenge(std::string_view verifier);

}  // namespace mcpauth::core::oauth

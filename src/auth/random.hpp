// Randomness for OAuth: PKCE verifiers, state, and jti of client assertions
// and revocation requests, from OpenSSL's CSPRNG.
#pragma once

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::auth::detail {

inline std::array<std::uint8_t, 32> random_bytes() {
  std::array<std::uint8_t, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the system's random number generator failed");
  }
  return bytes;
}

// 256 random bits as base64url: unguessable state values and unique ids.
inline std::string random_token() {
  const auto bytes = random_bytes();
  return core::oauth::base64url(std::span<const std::uint8_t>(bytes));
}

}  // namespace mcpauth::auth::detail

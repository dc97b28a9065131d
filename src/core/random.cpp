#include "mcpauth/core/random.hpp"

#include <openssl/rand.h>

#include <span>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core {

std::array<std::uint8_t, 32> random_bytes() {
  std::array<std::uint8_t, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // ErrorCode has no "internal" code; usage is what other local resource failures report.
    throw Error(ErrorCode::usage,
                "the system's random number generator failed (OpenSSL RAND_bytes); no unguessable value could be "
                "made, check that the system's entropy source (getrandom, /dev/urandom) is available");
  }
  return bytes;
}

std::string random_token() {
  const auto bytes = random_bytes();
  return oauth::base64url(std::span<const std::uint8_t>(bytes));
}

}  // namespace mcpauth::core

#include "mcpauth/core/oauth/pkce.hpp"

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {

std::string s256_challenge(std::string_view verifier) {
  return base64url(sha256(verifier));
}

Pkce make_pkce(std::span<const std::uint8_t> random_bytes) {
  if (random_bytes.size() < 32) throw Error(ErrorCode::usage, "PKCE needs at least 32 random bytes");
  Pkce pkce;
  pkce.verifier = base64url(random_bytes.first(std::min<std::size_t>(random_bytes.size(), 96)));
  pkce.challenge = s256_challenge(pkce.verifier);
  return pkce;
}

}  // namespace mcpauth::core::oauth

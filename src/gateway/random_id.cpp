#include "random_id.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <string_view>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::gateway {

std::string random_id() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the system's random number generator failed");
  return core::oauth::base64url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace mcpauth::gateway

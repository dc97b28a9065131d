// Built without libsecret: there is no keyring, the key file is used.
#include "keyring.hpp"

namespace mcpauth::store::detail {

std::optional<std::string> keyring_lookup(const std::string&) {
  return std::nullopt;
}
bool keyring_store(const std::string&, const std::string&) {
  return false;
}

}  // namespace mcpauth::store::detail

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

std::optional<std::string> non_empty(const EnvLookup& env, const std::string& name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace mcpauth::core::platform

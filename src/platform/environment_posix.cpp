#include <cstdlib>

#include "mcpauth_internal/platform/environment.hpp"

namespace mcpauth::platform {

void set_environment_variable(const std::string& name, const std::string& value) noexcept {
  ::setenv(name.c_str(), value.c_str(), 1);
}

}  // namespace mcpauth::platform

#include "mcpauth_internal/core/platform/listener_options.hpp"

namespace mcpauth::core::platform {

ListenerOptions listener_options(Os os) noexcept {
  ListenerOptions options;
  if (os == Os::windows) {
    options.exclusive_address = true;
  } else {
    options.reuse_address = true;
  }
  return options;
}

}  // namespace mcpauth::core::platform

#include "mcpauth_internal/core/platform/sigpipe.hpp"

namespace mcpauth::core::platform {

SigpipeGuard sigpipe_guard(Os os) {
  switch (os) {
    case Os::macos: return SigpipeGuard::socket_option;
    case Os::windows: return SigpipeGuard::none;
    case Os::linux: break;
  }
  return SigpipeGuard::send_flag;
}

}  // namespace mcpauth::core::platform

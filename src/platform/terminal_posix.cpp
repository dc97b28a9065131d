#include <fcntl.h>
#include <unistd.h>

#include "mcpauth_internal/platform/terminal.hpp"

namespace mcpauth::platform {

bool stdin_is_terminal() noexcept {
  return ::isatty(STDIN_FILENO) == 1;
}

int open_controlling_terminal() noexcept {
  return ::open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

}  // namespace mcpauth::platform

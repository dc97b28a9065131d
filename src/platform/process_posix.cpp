#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "mcpauth_internal/platform/process.hpp"

namespace mcpauth::platform {

long long current_process_id() noexcept {
  return static_cast<long long>(::getpid());
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

bool process_exists(long long pid) noexcept {
  // EPERM: it exists, as another user's process.
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace mcpauth::platform

#include "flow_owner.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace mcpauth::store::detail {

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

long long this_process() {
  return static_cast<long long>(::getpid());
}

bool process_alive(long long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace mcpauth::store::detail

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>

#include "platform/process.hpp"

namespace mcpauth::test_platform {

long current_pid() {
  return static_cast<long>(::getpid());
}

std::size_t open_file_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<std::size_t>::max();
  }
  return static_cast<std::size_t>(files.rlim_cur);
}

int run_in_child_process(const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) ::_exit(body());
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace mcpauth::test_platform

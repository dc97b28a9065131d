#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "mcpauth_internal/platform/spawn.hpp"

extern char** environ;

namespace mcpauth::platform {

bool spawn_detached(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  std::vector<std::string> owned = argv;  // posix_spawn takes char*, not const char*
  std::vector<char*> args;
  for (auto& a : owned) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return false;
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  std::thread([pid] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }).detach();
  return true;
}

}  // namespace mcpauth::platform

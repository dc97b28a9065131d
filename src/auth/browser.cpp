#include "mcpauth/auth/browser.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth_internal/core/platform/browser.hpp"

extern char** environ;

namespace mcpauth::auth {
namespace {

bool spawn_detached(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The browser's chatter must not reach our stdout (the proxy's protocol channel).
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", 0x0001 /* O_WRONLY */, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  // Reap it in the background so it never lingers as a zombie.
  std::thread([pid] {
    int status = 0;
    waitpid(pid, &status, 0);
  }).detach();
  return true;
}

}  // namespace

bool open_in_browser(const std::string& url) {
  namespace platform = core::platform;
  core::oauth::require_secure_url(url, "authorization URL");
  const auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
  const auto launch = platform::browser_launch(platform::current_os(), env, url);
  // Only a Windows build is told to ShellExecute, and this opener spawns.
  if (launch.kind != platform::BrowserLaunch::Kind::run) return false;
  for (const auto& command : launch.commands) {
    if (spawn_detached(command)) return true;
  }
  return false;
}

}  // namespace mcpauth::auth

#include "mcpauth/auth/browser.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

#include "mcpauth/core/oauth/metadata.hpp"

extern char** environ;

namespace mcpauth::auth {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// Splits a $BROWSER entry on spaces (no quoting: it is a command, not a script).
std::vector<std::string> command_for(const std::string& entry, const std::string& url) {
  std::vector<std::string> argv;
  bool placed = false;
  for (auto& word : split(entry, ' ')) {
    if (const auto pos = word.find("%s"); pos != std::string::npos) {
      word.replace(pos, 2, url);
      placed = true;
    }
    argv.push_back(word);
  }
  if (!placed) argv.push_back(url);
  return argv;
}

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
  core::oauth::require_secure_url(url, "authorization URL");
  if (const char* browser = std::getenv("BROWSER"); browser && *browser) {
    for (const auto& entry : split(browser, ':')) {
      if (spawn_detached(command_for(entry, url))) return true;
    }
    return false;
  }
  return spawn_detached({"xdg-open", url});
}

}  // namespace mcpauth::auth

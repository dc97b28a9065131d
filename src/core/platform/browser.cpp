#include "mcpauth_internal/core/platform/browser.hpp"

#include <sstream>

namespace mcpauth::core::platform {
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

// $BROWSER is a list like PATH, so it is split the way PATH is on that system
// (a Windows command's "C:\..." holds a ':').
char list_separator(Os os) {
  return os == Os::windows ? ';' : ':';
}

}  // namespace

bool can_open_browser(Os os, const EnvLookup& env) {
  const auto set = [&env](const char* name) { return non_empty(env, name).has_value(); };
  if (set("BROWSER")) return true;
  if (set("SSH_CONNECTION") || set("SSH_TTY")) return false;
  if (os == Os::linux) return set("DISPLAY") || set("WAYLAND_DISPLAY");
  return true;
}

// No quoting: an entry is a command, not a script.
std::vector<std::string> browser_command(const std::string& entry, const std::string& url) {
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

BrowserLaunch browser_launch(Os os, const EnvLookup& env, const std::string& url) {
  BrowserLaunch launch;
  if (auto browser = non_empty(env, "BROWSER")) {
    for (const auto& entry : split(*browser, list_separator(os)))
      launch.commands.push_back(browser_command(entry, url));
    return launch;
  }
  switch (os) {
    case Os::linux: launch.commands.push_back({"xdg-open", url}); break;
    case Os::macos: launch.commands.push_back({"/usr/bin/open", url}); break;
    case Os::windows:
      launch.kind = BrowserLaunch::Kind::shell_execute;
      launch.url = url;
      break;
  }
  return launch;
}

}  // namespace mcpauth::core::platform

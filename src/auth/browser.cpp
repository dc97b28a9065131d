#include "mcpauth/auth/browser.hpp"

#include <cstdlib>
#include <optional>
#include <string>

#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth_internal/core/platform/browser.hpp"
#include "mcpauth_internal/platform/spawn.hpp"

namespace mcpauth::auth {

bool open_in_browser(const std::string& url) {
  namespace decisions = core::platform;
  core::oauth::require_secure_url(url, "authorization URL");
  const auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
  const auto launch = decisions::browser_launch(decisions::current_os(), env, url);
  // Only a Windows build is told to ShellExecute, and this opener spawns.
  if (launch.kind != decisions::BrowserLaunch::Kind::run) return false;
  for (const auto& command : launch.commands) {
    // The browser's chatter must not reach our stdout (the proxy's protocol channel): spawn_detached sees to it.
    if (mcpauth::platform::spawn_detached(command)) return true;
  }
  return false;
}

}  // namespace mcpauth::auth

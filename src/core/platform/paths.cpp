#include "mcpauth_internal/core/platform/paths.hpp"

#include <initializer_list>

namespace mcpauth::core::platform {
namespace {

bool is_separator(Os os, char c) {
  return c == '/' || (os == Os::windows && c == '\\');
}

std::string join_all(Os os, std::string base, std::initializer_list<const char*> parts) {
  for (const char* part : parts) base = join_path(os, base, part);
  return base;
}

// The XDG Base Directory spec says to ignore a relative value.
std::optional<std::string> xdg_directory(const EnvLookup& env, const char* name) {
  auto value = non_empty(env, name);
  if (value && value->front() == '/') return value;
  return std::nullopt;
}

// Where a file of mcpauth's goes when no override names it: `xdg` and
// `linux_home` place it on Linux, `windows_base` (with its fallback under
// %USERPROFILE%) on Windows.
std::optional<std::string> place(Os os, const EnvLookup& env, const char* file, const char* xdg,
                                 std::initializer_list<const char*> linux_home, const char* windows_base,
                                 std::initializer_list<const char*> windows_profile) {
  switch (os) {
    case Os::linux:
      if (auto base = xdg_directory(env, xdg)) return join_all(os, *base, {"mcpauth", file});
      if (auto home = non_empty(env, "HOME")) return join_all(os, join_all(os, *home, linux_home), {"mcpauth", file});
      return std::nullopt;
    case Os::macos:
      if (auto home = non_empty(env, "HOME"))
        return join_all(os, *home, {"Library", "Application Support", "mcpauth", file});
      return std::nullopt;
    case Os::windows:
      if (auto base = non_empty(env, windows_base)) return join_all(os, *base, {"mcpauth", file});
      if (auto profile = non_empty(env, "USERPROFILE"))
        return join_all(os, join_all(os, *profile, windows_profile), {"mcpauth", file});
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string join_path(Os os, const std::string& base, const std::string& part) {
  if (base.empty() || is_separator(os, base.back())) return base + part;
  return base + (os == Os::windows ? '\\' : '/') + part;
}

std::optional<std::string> token_store_path(Os os, const EnvLookup& env) {
  if (auto path = non_empty(env, "MCPAUTH_STORE")) return path;
  return place(os, env, "tokens.db", "XDG_DATA_HOME", {".local", "share"}, "LOCALAPPDATA", {"AppData", "Local"});
}

std::optional<std::string> config_file_path(Os os, const EnvLookup& env) {
  if (auto path = non_empty(env, "MCPAUTH_CONFIG")) return path;
  return place(os, env, "config.json", "XDG_CONFIG_HOME", {".config"}, "APPDATA", {"AppData", "Roaming"});
}

std::string token_store_path_unset(Os os) {
  switch (os) {
    case Os::linux: return "neither XDG_DATA_HOME nor HOME is set";
    case Os::macos: return "HOME is not set";
    case Os::windows: return "neither LOCALAPPDATA nor USERPROFILE is set";
  }
  return "no home directory is set";
}

}  // namespace mcpauth::core::platform

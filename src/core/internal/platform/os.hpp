#pragma once

// The operating system a platform decision is made for, and the environment it
// reads. The decisions (paths.hpp, browser.hpp) are pure functions of both, so
// every system's answers are unit-tested on any one of them; the build's own
// system is current_os(), chosen here and nowhere else.
//
// Not installed: with GNU extensions on (gcc's default -std=gnu++20) `linux`
// is a predefined macro; this tree builds with extensions off
// (CMAKE_CXX_EXTENSIONS OFF), an embedder's build may not.

#include <functional>
#include <optional>
#include <string>

namespace mcpauth::core::platform {

enum class Os { linux, macos, windows };

constexpr Os current_os() noexcept {
#if defined(_WIN32)
  return Os::windows;
#elif defined(__APPLE__)
  return Os::macos;
#else
  return Os::linux;
#endif
}

// A variable's value, or nullopt when unset (the process environment in the
// program; a table in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The value when set and not empty: an empty variable counts as unset
// everywhere a platform decision reads one.
std::optional<std::string> non_empty(const EnvLookup& env, const std::string& name);

}  // namespace mcpauth::core::platform

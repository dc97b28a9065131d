// An environment for tests of what reads one: exactly the given variables.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "env_lookup.hpp"

namespace mcpauth::testing {

inline app::EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace mcpauth::testing

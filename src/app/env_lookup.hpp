// How the command and the gateway read environment variables: through a
// function, so tests can pass their own environment. Shared by the CLI's
// option handling, the config file and the gateway (which needs nothing else
// of the CLI's option parsing).
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace mcpauth::app {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process's own environment (getenv).
EnvLookup process_environment();

// Replaces ${NAME} with the variable's value. Throws Error(usage) for an
// unset variable or an unterminated ${ (a silently empty token is worse).
std::string expand_env(const std::string& text, const EnvLookup& env);

}  // namespace mcpauth::app

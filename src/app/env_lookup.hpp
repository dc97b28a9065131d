// How the command and the gateway read environment variables: through a
// function, so tests can pass their own environment. Shared by the CLI's
// option handling, the config file and the gateway (which needs nothing else
// of the CLI's option parsing).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::app {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process's own environment (getenv).
EnvLookup process_environment();

// The one ${NAME} scanner (expand_env and the config file's checks): hands
// the literal text between references to `on_text` and each NAME to
// `on_name`, in order, stopping early when `on_name` returns false. Returns
// what is wrong with the syntax ("unterminated ${", "empty ${}"), or nullopt.
std::optional<std::string> scan_env_references(std::string_view text,
                                               const std::function<void(std::string_view)>& on_text,
                                               const std::function<bool(const std::string&)>& on_name);

// Replaces ${NAME} with the variable's value. Throws Error(usage) for an
// unset variable or an unterminated ${ (a silently empty token is worse).
std::string expand_env(const std::string& text, const EnvLookup& env);

}  // namespace mcpauth::app

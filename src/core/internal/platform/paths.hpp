#pragma once

// Where mcpauth keeps its files on each system. MCPAUTH_STORE and
// MCPAUTH_CONFIG override everywhere; otherwise each system's own place:
//
//   Linux    $XDG_DATA_HOME/mcpauth/tokens.db    (absolute only, else ~/.local/share/...)
//            $XDG_CONFIG_HOME/mcpauth/config.json (absolute only, else ~/.config/...)
//   macOS    ~/Library/Application Support/mcpauth/{tokens.db,config.json}
//   Windows  %LOCALAPPDATA%\mcpauth\tokens.db     (else %USERPROFILE%\AppData\Local\...)
//            %APPDATA%\mcpauth\config.json        (else %USERPROFILE%\AppData\Roaming\...)
//
// The token store is local data (never roamed: its key may live in the
// machine's keyring); the config file is the user's settings.

#include <optional>
#include <string>

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

// nullopt when none of the variables that place it is set.
std::optional<std::string> token_store_path(Os os, const EnvLookup& env);
std::optional<std::string> config_file_path(Os os, const EnvLookup& env);

// Which variables were missing when token_store_path gave nullopt, in words
// for an error message ("neither XDG_DATA_HOME nor HOME is set").
std::string token_store_path_unset(Os os);

// base + separator + part, the separator added only when base does not
// already end with one (std::filesystem::path's operator/ for a relative part).
std::string join_path(Os os, const std::string& base, const std::string& part);

}  // namespace mcpauth::core::platform

// The config file: named remote MCP servers in the "mcpServers" JSON format of
// Claude Desktop, Cursor and similar hosts, so a user can point mcpauth at the
// file their host already uses. Entries that start a local process ("command")
// are skipped, not refused, for the same reason.
//
// Values may hold ${VAR} (or the hosts' ${env:VAR}); they are expanded when a
// server is resolved, not when the file is loaded, so a variable only has to be
// set for the server actually used.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "env_lookup.hpp"

namespace mcpauth::app {

struct OAuthConfig {
  std::optional<std::string> client_id;      // ${VAR} expands
  std::optional<std::string> client_secret;  // ${VAR} expands
  std::optional<std::string> client_metadata_url;
  std::optional<std::string> scope;  // space-separated
  std::optional<std::string> resource;
  std::optional<int> callback_port;
  bool send_resource = true;  // false: leave the RFC 8707 resource parameter out
  bool enabled = true;        // false: never start an authorization
};

struct ServerConfig {
  std::string name;                                          // empty for a URL given on the command line
  std::string url;                                           // ${VAR} expands
  std::string transport = "auto";                            // mcp::to_string(TransportKind): auto, http, sse, ...
  std::vector<std::pair<std::string, std::string>> headers;  // values: ${VAR} expands
  std::string account;
  OAuthConfig oauth;
  // Globs (fnmatch) of the tools a bridging host sees: with allowedTools only
  // those; never those of ignoredTools (mcp-remote's --ignore-tool).
  std::vector<std::string> allowed_tools;
  std::vector<std::string> ignored_tools;
};

struct Config {
  std::string path;
  std::vector<ServerConfig> servers;  // in file order, ${VAR} not expanded
  std::vector<std::string> skipped;   // names of stdio ("command") entries
  std::vector<std::string> warnings;  // unknown keys, for the user to see
};

inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// A server name the config file and the dashboard accept: 1-64 characters of
// A-Z a-z 0-9 . _ -, and not "." or ".." (names become path segments).
bool valid_server_name(std::string_view name);

// Reads and checks the file. Throws Error(usage) for a missing, oversized or
// malformed file, naming the JSON path of a bad value (never the value).
Config load_config(const std::string& path);
// The same checks for a document already read: `path` names it in messages
// (a user's own server in the gateway's store is checked so).
Config parse_config(const std::string& content, const std::string& path);

// $MCPAUTH_CONFIG, else $XDG_CONFIG_HOME/mcpauth/config.json, else
// $HOME/.config/mcpauth/config.json; nullopt when none of them is set.
std::optional<std::string> default_config_path(const EnvLookup& env);

// The config at default_config_path, or nullopt when that file does not exist.
// A path given in $MCPAUTH_CONFIG is an explicit choice: missing is an error.
std::optional<Config> load_default_config(const EnvLookup& env);

// --config FILE when given (it must exist), else the default file if there is one.
std::optional<Config> load_config_option(const std::string& path, const EnvLookup& env);

// A URL argument ("://") selects the configured server with the same URL, or
// an ad-hoc one with that URL; anything else is a server name. The result has
// its ${VAR} expanded. Throws Error(usage) for an unknown name, a stdio entry,
// an unset variable (named, its would-be value never shown) or a bad URL.
ServerConfig resolve_server(const std::string& name_or_url, const std::optional<Config>& config, const EnvLookup& env);

}  // namespace mcpauth::app

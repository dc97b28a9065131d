// Edits of the mcpServers file for the dashboard: one server added or
// removed, everything else in the file (other servers, unknown keys, the
// host's own settings, key order) kept as it was. Written atomically: a 0600
// temporary file in the same directory, fsync, rename.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mcpauth::gateway {

struct NewServer {
  std::string name;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> client_id;
};

// The entry the file gets for `server` (also what the store keeps for a
// user's own server), as JSON text: {"url", "headers"?, "oauth"?}.
std::string server_entry_json(const NewServer& server);

// Throws Error(usage): a server of that name exists, the file is unreadable
// or not an mcpServers object. Creates the file (and its directory) if missing.
void add_server_entry(const std::string& path, const NewServer& server);
// True when an entry was removed.
bool remove_server_entry(const std::string& path, const std::string& name);

}  // namespace mcpauth::gateway

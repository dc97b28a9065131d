// The store's schema and its migrations. The schema version is the store's
// own, independent of the program's: a new mcpauth migrates an old store
// forward in one transaction and refuses (never rewrites) a newer one.
//
//   1  meta, clients (by issuer), tokens (by resource, issuer, client id, account)
//   2  tokens.updated_at; discovery (per server URL); flows (interactive-flow claims)
//   3  discovery.protocol_version, discovery.transport
//   4  flows.started (a claim's process start time)
//   5  users (name, admin, SHA-256 of the API key, created_at)
//   6  user_servers (a user's own servers: user, name, sealed entry, created_at)
//   7  browser_flows (gateway callbacks relayed between instances: SHA-256 of the state, sealed parameters)
#pragma once

#include <string>

#include "sqlite.hpp"

namespace mcpauth::store::detail {

inline constexpr int kSchemaVersion = 7;
inline constexpr const char* kApplicationName = "mcpauth";

// Runs the migrations after `from` up to `to` (0: an empty database), in
// the caller's transaction, and records `to` in meta.
void migrate(Database& db, int from, int to);

// The version recorded in an mcpauth store; 0 for an empty database.
// Throws Error(store) for a database that is not an mcpauth store.
int schema_version(Database& db);

std::optional<std::string> read_meta(Database& db, const char* name);
void write_meta(Database& db, const char* name, const std::string& value);

}  // namespace mcpauth::store::detail

// PostgresTokenStore's schema and its migrations, in mcpauth_* tables of the
// connection's default schema. mcpauth_schema_version records each applied
// migration; a store from a newer mcpauth is refused, never rewritten.
//
//   1  mcpauth_keys (a key check per key id), mcpauth_clients, mcpauth_tokens
//      (sealed secrets with the key id that sealed them), mcpauth_discovery,
//      mcpauth_flows (claims with an owner and an expiry on the database's clock)
//   2  mcpauth_flows.started (a claim's process start time)
//   3  mcpauth_users (name, admin, SHA-256 of the API key, created_at)
//   4  mcpauth_user_servers (a user's own servers: user, name, key id, sealed entry, created_at)
//   5  mcpauth_browser_flows (gateway callbacks relayed between instances:
//      SHA-256 of the state, sealed parameters)
#pragma once

#include "postgres.hpp"

namespace mcpauth::store::detail {

inline constexpr int kPostgresSchemaVersion = 5;

// The first key of every (two-key) advisory lock the store takes ("mcpa"):
// keeps them apart from another program's advisory locks in the same database.
inline constexpr int kPgLockSpace = 0x6d637061;

// In the caller's transaction: takes the migration lock (two instances
// starting together migrate once), creates mcpauth_schema_version if
// missing, applies the migrations the database lacks and returns the version
// the database had before. Throws Error(store) for a newer schema.
int migrate_postgres(PgConnection& connection);

}  // namespace mcpauth::store::detail

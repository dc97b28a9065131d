// A TokenStore in PostgreSQL, shared by several mcpauth instances (gateways
// on several machines, or commands of several users' services): the same
// interface and sealing as SqliteTokenStore, with every cross-process
// guarantee held by the database instead of a file lock:
//
// - update_tokens() takes a transaction-scoped advisory lock on the grant and
//   re-reads it inside the transaction, so exactly one instance refreshes and
//   its rotated refresh token is committed before the access token is used;
// - flow claims are rows with an owner and an expiry on the database's clock;
// - secrets are sealed with AES-256-GCM bound to the row, under a key that is
//   never in the database (MCPAUTH_KEY or a key file), with the key's id on
//   each row, and rotated online (KeyRotation, key_rotation.hpp: the store
//   implements it);
// - the schema is migrated in a transaction under an advisory lock, so
//   instances starting together migrate once.
//
// Messages name the database as user@host:port/dbname, never its password.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {

struct PostgresStoreOptions {
  // A libpq connection URI (postgresql://user:password@host:port/dbname?...)
  // or key=value settings; PGPASSWORD, ~/.pgpass and the other libpq
  // defaults apply as usual.
  std::string url;
  std::optional<std::string> key;              // a 256-bit key (base64url or hex); else the key file
  std::optional<std::string> previous_keys{};  // retired keys (comma- or space-separated): open rows only
  // Read when no key is given; created (0600) when the database has no store
  // yet. Every instance sharing the database needs the same key.
  std::filesystem::path key_file;
  std::chrono::seconds connect_timeout{10};
  std::chrono::milliseconds lock_timeout{120'000};  // how long to wait for another instance's lock
  std::size_t max_idle_connections = 8;
  // Connections of this store open at once (in use and idle); an operation
  // that finds them all in use waits for one up to connection_wait, then
  // fails with Error(store). Every instance counts against the server's
  // max_connections (100 by default).
  std::size_t max_connections = 32;
  std::chrono::milliseconds connection_wait{60'000};
};

// Whether `text` is a postgresql:// or postgres:// URL.
bool is_postgres_url(std::string_view text);

// The options for this environment: MCPAUTH_STORE_URL, MCPAUTH_KEY,
// MCPAUTH_KEY_PREVIOUS, and
// MCPAUTH_KEY_FILE else $XDG_DATA_HOME/mcpauth/postgres.key (else
// ~/.local/share/mcpauth/postgres.key).
PostgresStoreOptions default_postgres_store_options(
    const std::function<std::optional<std::string>(const std::string&)>& env);

// Connects, creates or migrates the schema, and checks the key. Throws
// Error(store) when the database cannot be reached, holds a newer schema, or
// was made with another key (it is then left as it is).
std::shared_ptr<TokenStore> open_postgres_token_store(const PostgresStoreOptions& options);

// The schema version this build writes.
int postgres_store_schema_version();

}  // namespace mcpauth::store

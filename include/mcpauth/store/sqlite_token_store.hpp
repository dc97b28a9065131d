// The default TokenStore: one SQLite database per user, shared by every
// mcpauth process (WAL mode; the per-grant lock is an IMMEDIATE transaction,
// so it holds across processes). Secrets are sealed with AES-256-GCM; see
// docs/architecture.md for the schema, the key sources and the migrations.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {

struct SqliteStoreOptions {
  std::filesystem::path path;                       // the database file; its directory is created 0700
  std::optional<std::string> key;                   // a 256-bit key (base64url or hex); else keyring or key file
  std::optional<std::string> previous_keys{};       // retired keys (comma- or space-separated): open rows only
  std::filesystem::path key_file;                   // default: <path>.key
  bool use_keyring = true;                          // the desktop keyring, when built with libsecret and available
  std::chrono::milliseconds busy_timeout{120'000};  // how long to wait for another process's lock
};

// The options for this user: $XDG_DATA_HOME/mcpauth/tokens.db (else
// ~/.local/share/mcpauth/tokens.db), MCPAUTH_KEY, MCPAUTH_KEY_PREVIOUS, and
// MCPAUTH_STORE for another database path.
SqliteStoreOptions default_sqlite_store_options(
    const std::function<std::optional<std::string>(const std::string&)>& env);

// Opens (creating, or migrating from an older schema) the store. It also
// implements KeyRotation (key_rotation.hpp). Throws
// Error(store) for a file that is not an mcpauth store, one written by a
// newer mcpauth, or a key that does not open it; such a file is never
// modified.
std::shared_ptr<TokenStore> open_sqlite_token_store(const SqliteStoreOptions& options);

// The schema version this build writes.
int sqlite_store_schema_version();

}  // namespace mcpauth::store

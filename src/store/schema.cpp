#include "schema.hpp"

#include <charconv>

#include "mcpauth/error.hpp"
#include "store_file.hpp"

namespace mcpauth::store::detail {
namespace {

// Each entry turns version N-1 into N. Never edit a released entry: add one.
constexpr const char* kMigrations[] = {
    // 1
    R"sql(
      CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE clients (
        issuer TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        auth_method TEXT NOT NULL,
        redirect_uris TEXT NOT NULL,
        secrets BLOB
      );
      CREATE TABLE tokens (
        resource TEXT NOT NULL,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        account TEXT NOT NULL,
        token_type TEXT NOT NULL,
        expires_at INTEGER,
        scope TEXT,
        secrets BLOB NOT NULL,
        PRIMARY KEY (resource, issuer, client_id, account)
      );
    )sql",
    // 2
    R"sql(
      ALTER TABLE tokens ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE discovery (
        server_url TEXT PRIMARY KEY,
        resource TEXT,
        issuer TEXT NOT NULL,
        prm_url TEXT NOT NULL,
        prm_body TEXT NOT NULL,
        as_url TEXT NOT NULL,
        as_body TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
      );
      CREATE TABLE flows (
        flow_key TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    )sql",
    // 3
    R"sql(
      ALTER TABLE discovery ADD COLUMN protocol_version TEXT NOT NULL DEFAULT '';
      ALTER TABLE discovery ADD COLUMN transport TEXT NOT NULL DEFAULT '';
    )sql",
    // 4: a flow claim's process start time (0: unknown), so a reused pid is not taken for the claim's holder
    R"sql(
      ALTER TABLE flows ADD COLUMN started INTEGER NOT NULL DEFAULT 0;
    )sql",
    // 5: the gateway's users, each with the SHA-256 of its API key (never the key; NULL: a host's user)
    R"sql(
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        admin INTEGER NOT NULL DEFAULT 0,
        key_hash BLOB UNIQUE,
        created_at INTEGER NOT NULL
      );
    )sql",
    // 6: the servers users added for themselves, each entry sealed whole (it may hold header values and secrets)
    R"sql(
      CREATE TABLE user_servers (
        user_name TEXT NOT NULL,
        name TEXT NOT NULL,
        entry BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_name, name)
      );
    )sql",
    // 7: browser flows relayed between gateway instances, by the SHA-256 of their state (never the state);
    // the redirect's parameters sealed, single use (browser_flow_rows.hpp)
    R"sql(
      CREATE TABLE browser_flows (
        state_hash TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        server TEXT NOT NULL,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started INTEGER NOT NULL,
        return_to TEXT,
        created_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0,
        taken INTEGER NOT NULL DEFAULT 0,
        key_id TEXT,
        fields BLOB,
        outcome TEXT,
        reason TEXT
      );
      CREATE INDEX browser_flows_by_account ON browser_flows (account, created_at);
      CREATE INDEX browser_flows_by_owner ON browser_flows (owner);
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

bool has_table(Database& db, const char* name) {
  Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, std::string_view(name));
  return s.step();
}

}  // namespace

std::optional<std::string> read_meta(Database& db, const char* name) {
  Statement s(db, "SELECT value FROM meta WHERE name = ?");
  s.bind(1, std::string_view(name));
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void write_meta(Database& db, const char* name, const std::string& value) {
  Statement s(db,
              "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  s.bind(1, std::string_view(name)).bind(2, std::string_view(value)).run();
}

void migrate(Database& db, int from, int to) {
  for (int version = from + 1; version <= to; ++version) {
    db.exec(kMigrations[version - 1], "migrating the store's schema");
  }
  if (from == 0) write_meta(db, "application", kApplicationName);
  write_meta(db, "schema_version", std::to_string(to));
}

int schema_version(Database& db) {
  Statement any(db, "SELECT count(*) FROM sqlite_master");
  any.step();
  const std::string where = "the token store " + db.path().string();
  if (any.integer(0) == 0) {
    // No tables yet: a new mcpauth store, or an empty database another
    // program marked as its own (application_id, user_version): not taken over.
    Statement application(db, "PRAGMA application_id");
    application.step();
    Statement user_version(db, "PRAGMA user_version");
    user_version.step();
    const auto id = application.integer(0);
    if ((id != 0 && id != kApplicationId) || user_version.integer(0) != 0) {
      throw Error(ErrorCode::store, where +
                                        " is an SQLite database of another program (its application_id or "
                                        "user_version is set), not an mcpauth store; it was left as it is: set "
                                        "MCPAUTH_STORE to another path or move the file aside");
    }
    return 0;
  }
  if (!has_table(db, "meta") || read_meta(db, "application") != std::string(kApplicationName)) {
    throw Error(ErrorCode::store, where +
                                      " is an SQLite database of another program, not an mcpauth store; it was left "
                                      "as it is: set MCPAUTH_STORE to another path or move the file aside");
  }
  const std::string text = read_meta(db, "schema_version").value_or("");
  int version = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version < 1) {
    throw Error(ErrorCode::store, where + " has an unreadable schema version; it was left as it is");
  }
  return version;
}

}  // namespace mcpauth::store::detail

#include "postgres_schema.hpp"

namespace mcpauth::store::detail {
namespace {

// Each entry turns version N-1 into N. Never edit a released entry: add one.
constexpr const char* kMigrations[] = {
    // 1
    R"sql(
      CREATE TABLE mcpauth_keys (
        key_id TEXT PRIMARY KEY,
        key_check BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE TABLE mcpauth_clients (
        issuer TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        auth_method TEXT NOT NULL,
        redirect_uris TEXT NOT NULL,
        key_id TEXT,
        secrets BYTEA
      );
      CREATE TABLE mcpauth_tokens (
        resource TEXT NOT NULL,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        account TEXT NOT NULL,
        token_type TEXT NOT NULL,
        expires_at BIGINT,
        scope TEXT,
        key_id TEXT NOT NULL,
        secrets BYTEA NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (resource, issuer, client_id, account)
      );
      CREATE TABLE mcpauth_discovery (
        server_url TEXT PRIMARY KEY,
        resource TEXT,
        issuer TEXT NOT NULL,
        prm_url TEXT NOT NULL,
        prm_body TEXT NOT NULL,
        as_url TEXT NOT NULL,
        as_body TEXT NOT NULL,
        fetched_at BIGINT NOT NULL,
        protocol_version TEXT NOT NULL,
        transport TEXT NOT NULL
      );
      CREATE TABLE mcpauth_flows (
        flow_key TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid BIGINT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
      );
    )sql",
    // 2: a flow claim's process start time (0: unknown), so a reused pid is not taken for the claim's holder
    R"sql(
      ALTER TABLE mcpauth_flows ADD COLUMN started BIGINT NOT NULL DEFAULT 0;
    )sql",
    // 3: the gateway's users, each with the SHA-256 of its API key (never the key; NULL: a host's user)
    R"sql(
      CREATE TABLE mcpauth_users (
        name TEXT PRIMARY KEY,
        admin BOOLEAN NOT NULL DEFAULT false,
        key_hash BYTEA UNIQUE,
        created_at BIGINT NOT NULL
      );
    )sql",
    // 4: the servers users added for themselves, each entry sealed whole (it may hold header values and secrets)
    R"sql(
      CREATE TABLE mcpauth_user_servers (
        user_name TEXT NOT NULL,
        name TEXT NOT NULL,
        key_id TEXT NOT NULL,
        entry BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_name, name)
      );
    )sql",
    // 5: browser flows relayed between gateway instances, by the SHA-256 of their state (never the state);
    // the redirect's parameters sealed, single use (browser_flow_rows.hpp)
    R"sql(
      CREATE TABLE mcpauth_browser_flows (
        state_hash TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        server TEXT NOT NULL,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid BIGINT NOT NULL,
        started BIGINT NOT NULL,
        return_to TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        seen_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        delivered BOOLEAN NOT NULL DEFAULT false,
        taken BOOLEAN NOT NULL DEFAULT false,
        key_id TEXT,
        fields BYTEA,
        outcome TEXT,
        reason TEXT
      );
      CREATE INDEX mcpauth_browser_flows_by_account ON mcpauth_browser_flows (account, created_at);
      CREATE INDEX mcpauth_browser_flows_by_owner ON mcpauth_browser_flows (owner);
    )sql",
};
static_assert(std::size(kMigrations) == kPostgresSchemaVersion);

}  // namespace

int migrate_postgres(PgConnection& connection) {
  connection.exec("SELECT pg_advisory_xact_lock($1::int, 0)", {PgParam::integer(kPgLockSpace)},
                  "waiting for another instance's migration");
  connection.exec_script(
      "CREATE TABLE IF NOT EXISTS mcpauth_schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT "
      "NULL DEFAULT now())",
      "creating the schema version table");
  const PgResult current =
      connection.exec("SELECT coalesce(max(version), 0) FROM mcpauth_schema_version", {}, "reading the schema version");
  const int version = static_cast<int>(current.integer(0, 0));
  if (version > kPostgresSchemaVersion) {
    throw Error(ErrorCode::store, "the token store (" + connection.target().description +
                                      ") was written by a newer mcpauth (schema " + std::to_string(version) +
                                      ", this one knows up to " + std::to_string(kPostgresSchemaVersion) +
                                      "); it was left as it is: use the newer mcpauth");
  }
  for (int next = version + 1; next <= kPostgresSchemaVersion; ++next) {
    connection.exec_script(kMigrations[next - 1], "migrating the schema");
    connection.exec("INSERT INTO mcpauth_schema_version (version) VALUES ($1::int)", {PgParam::integer(next)},
                    "recording the schema version");
  }
  return version;
}

}  // namespace mcpauth::store::detail

#include "postgres_key_rotation.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/error.hpp"
#include "postgres_schema.hpp"
#include "sealed_rows.hpp"

namespace mcpauth::store::detail {
namespace {

using P = PgParam;

void reseal_grant(PgConnection& c, const KeySet& keys, const TokenKey& key, KeyRotationReport& report) {
  PgTransaction transaction(c);
  lock_grant(c, key);
  const PgResult r = c.exec(
      "SELECT key_id, secrets FROM mcpauth_tokens WHERE resource = $1 AND issuer = $2 AND client_id = $3 AND "
      "account = $4 FOR UPDATE",
      {P::text(key.resource), P::text(key.issuer), P::text(key.client_id), P::text(key.account)},
      "reading a grant to seal it again");
  if (r.rows() == 0) return;  // removed meanwhile (a logout)
  const ResealResult result = reseal(keys, r.text(0, 0), r.bytes(0, 1), token_context(key));
  if (result.outcome == Reseal::resealed) {
    c.exec(
        "UPDATE mcpauth_tokens SET key_id = $5, secrets = $6 WHERE resource = $1 AND issuer = $2 AND client_id = $3 "
        "AND account = $4",
        {P::text(key.resource), P::text(key.issuer), P::text(key.client_id), P::text(key.account),
         P::text(keys.current().id), P::bytes(result.sealed)},
        "sealing a grant again");
  }
  transaction.commit();
  count_reseal(report, result, grant_row(key));
}

void reseal_client(PgConnection& c, const KeySet& keys, const std::string& issuer, KeyRotationReport& report) {
  PgTransaction transaction(c);
  const PgResult r =
      c.exec("SELECT key_id, secrets FROM mcpauth_clients WHERE issuer = $1 AND secrets IS NOT NULL FOR UPDATE",
             {P::text(issuer)}, "reading a client registration to seal it again");
  if (r.rows() == 0) return;
  const ResealResult result = reseal(keys, r.optional_text(0, 0), r.bytes(0, 1), client_context(issuer));
  if (result.outcome == Reseal::resealed) {
    c.exec("UPDATE mcpauth_clients SET key_id = $2, secrets = $3 WHERE issuer = $1",
           {P::text(issuer), P::text(keys.current().id), P::bytes(result.sealed)},
           "sealing a client registration again");
  }
  transaction.commit();
  count_reseal(report, result, client_row(issuer));
}

void reseal_user_server(PgConnection& c, const KeySet& keys, const std::string& user, const std::string& name,
                        KeyRotationReport& report) {
  PgTransaction transaction(c);
  const PgResult r =
      c.exec("SELECT key_id, entry FROM mcpauth_user_servers WHERE user_name = $1 AND name = $2 FOR UPDATE",
             {P::text(user), P::text(name)}, "reading a user's server to seal it again");
  if (r.rows() == 0) return;  // removed meanwhile
  const ResealResult result = reseal(keys, r.text(0, 0), r.bytes(0, 1), user_server_context(user, name));
  if (result.outcome == Reseal::resealed) {
    c.exec("UPDATE mcpauth_user_servers SET key_id = $3, entry = $4 WHERE user_name = $1 AND name = $2",
           {P::text(user), P::text(name), P::text(keys.current().id), P::bytes(result.sealed)},
           "sealing a user's server again");
  }
  transaction.commit();
  count_reseal(report, result, user_server_row(user, name));
}

}  // namespace

void lock_grant(PgConnection& c, const TokenKey& key) {
  c.exec("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", {P::integer(kPgLockSpace), P::text(token_context(key))},
         "waiting for the grant's lock");
}

void pg_record_key_check(PgConnection& c, const NamedKey& key) {
  PgTransaction transaction(c);
  c.exec("LOCK TABLE mcpauth_keys IN EXCLUSIVE MODE", {}, "locking the key checks");
  c.exec("INSERT INTO mcpauth_keys (key_id, key_check) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING",
         {P::text(key.id), P::bytes(seal_key_check(key.key))}, "recording the new key's check");
  const PgResult r =
      c.exec("SELECT key_check FROM mcpauth_keys WHERE key_id = $1", {P::text(key.id)}, "reading the key check");
  if (r.rows() != 1 || !key_check_opens(key.key, r.bytes(0, 0))) {
    throw Error(ErrorCode::store, "the token store (" + c.target().description + ") records a key check for key " +
                                      key.id + " that the new key does not open (damaged); it was left as it is");
  }
  transaction.commit();
}

void pg_reseal_rows(PgConnection& c, const KeySet& keys, std::size_t batch_size, KeyRotationReport& report) {
  const auto batch = static_cast<long long>(std::max<std::size_t>(batch_size, 1));
  // Keyset pagination: each batch starts after the last row of the one before.
  std::optional<TokenKey> after;
  for (bool more = true; more;) {
    const TokenKey from = after.value_or(TokenKey{});
    const PgResult r = c.exec(
        "SELECT resource, issuer, client_id, account FROM mcpauth_tokens WHERE $1::boolean OR (resource, issuer, "
        "client_id, account) > ($2, $3, $4, $5) ORDER BY resource, issuer, client_id, account LIMIT $6::bigint",
        {P::text(after ? "false" : "true"), P::text(from.resource), P::text(from.issuer), P::text(from.client_id),
         P::text(from.account), P::integer(batch)},
        "listing grants to seal again");
    std::vector<TokenKey> rows;
    for (int row = 0; row < r.rows(); ++row)
      rows.push_back({r.text(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3)});
    for (const TokenKey& key : rows) reseal_grant(c, keys, key, report);
    more = static_cast<long long>(rows.size()) == batch;
    if (!rows.empty()) after = rows.back();
  }
  std::optional<std::string> after_issuer;
  for (bool more = true; more;) {
    const PgResult r = c.exec(
        "SELECT issuer FROM mcpauth_clients WHERE secrets IS NOT NULL AND ($1::boolean OR issuer > $2) ORDER BY "
        "issuer LIMIT $3::bigint",
        {P::text(after_issuer ? "false" : "true"), P::text(after_issuer.value_or("")), P::integer(batch)},
        "listing client registrations to seal again");
    std::vector<std::string> issuers;
    for (int row = 0; row < r.rows(); ++row) issuers.push_back(r.text(row, 0));
    for (const std::string& issuer : issuers) reseal_client(c, keys, issuer, report);
    more = static_cast<long long>(issuers.size()) == batch;
    if (!issuers.empty()) after_issuer = issuers.back();
  }
  std::optional<std::pair<std::string, std::string>> after_server;
  for (bool more = true; more;) {
    const auto from = after_server.value_or(std::pair<std::string, std::string>{});
    const PgResult r = c.exec(
        "SELECT user_name, name FROM mcpauth_user_servers WHERE $1::boolean OR (user_name, name) > ($2, $3) ORDER BY "
        "user_name, name LIMIT $4::bigint",
        {P::text(after_server ? "false" : "true"), P::text(from.first), P::text(from.second), P::integer(batch)},
        "listing users' servers to seal again");
    std::vector<std::pair<std::string, std::string>> servers;
    for (int row = 0; row < r.rows(); ++row) servers.emplace_back(r.text(row, 0), r.text(row, 1));
    for (const auto& [user, name] : servers) reseal_user_server(c, keys, user, name, report);
    more = static_cast<long long>(servers.size()) == batch;
    if (!servers.empty()) after_server = servers.back();
  }
}

KeyRotationReport pg_key_status(PgConnection& c, const KeySet& keys) {
  KeyRotationReport report;
  report.current_key_id = keys.current().id;
  const PgResult rows = c.exec(
      "SELECT key_id, count(*) FROM (SELECT key_id FROM mcpauth_tokens UNION ALL SELECT key_id FROM mcpauth_clients "
      "WHERE secrets IS NOT NULL UNION ALL SELECT key_id FROM mcpauth_user_servers) AS sealed GROUP BY key_id ORDER BY "
      "key_id",
      {}, "counting sealed rows per key");
  for (int row = 0; row < rows.rows(); ++row) {
    report.rows_by_key[rows.optional_text(row, 0).value_or("")] = static_cast<std::size_t>(rows.integer(row, 1));
  }
  const PgResult recorded =
      c.exec("SELECT key_id FROM mcpauth_keys ORDER BY created_at, key_id", {}, "reading the key checks");
  for (int row = 0; row < recorded.rows(); ++row) report.recorded_keys.push_back(recorded.text(row, 0));
  return report;
}

KeyRotationReport pg_retire_keys(PgConnection& c, const KeySet& keys) {
  PgTransaction transaction(c);
  // Not interleaved with another retirement, or with a rotation recording its key.
  c.exec("LOCK TABLE mcpauth_keys IN EXCLUSIVE MODE", {}, "locking the key checks");
  KeyRotationReport report = pg_key_status(c, keys);
  if (report.rows_under_other_keys() != 0) return report;  // rolled back: nothing changed
  const PgResult removed = c.exec("DELETE FROM mcpauth_keys WHERE key_id <> $1 RETURNING key_id",
                                  {P::text(keys.current().id)}, "retiring old key checks");
  for (int row = 0; row < removed.rows(); ++row) report.retired.push_back(removed.text(row, 0));
  transaction.commit();
  report.recorded_keys = {keys.current().id};
  return report;
}

}  // namespace mcpauth::store::detail

#include "sqlite_key_rotation.hpp"

#include <algorithm>
#include <charconv>

#include "mcpauth/error.hpp"
#include "schema.hpp"
#include "sealed_rows.hpp"

namespace mcpauth::store::detail {
namespace {

constexpr const char* kCheck = "key_check";
constexpr const char* kCheckPrefix = "key_check:";

TokenKey token_key(Statement& s) {
  return TokenKey{s.text(0), s.text(1), s.text(2), s.text(3)};
}

// Each row's key (or unreadable), for a status.
template <class Visit>
void each_sealed_row(Database& db, Visit visit) {
  Statement tokens(db, "SELECT resource, issuer, client_id, account, secrets FROM tokens");
  while (tokens.step()) {
    const TokenKey key = token_key(tokens);
    visit(grant_row(key), tokens.blob(4), token_context(key));
  }
  Statement clients(db, "SELECT issuer, secrets FROM clients WHERE secrets IS NOT NULL");
  while (clients.step()) visit(client_row(clients.text(0)), clients.blob(1), client_context(clients.text(0)));
  Statement servers(db, "SELECT user_name, name, entry FROM user_servers");
  while (servers.step()) {
    visit(user_server_row(servers.text(0), servers.text(1)), servers.blob(2),
          user_server_context(servers.text(0), servers.text(1)));
  }
}

// One grant sealed again, in its own write transaction.
void reseal_grant(Database& db, const KeySet& keys, const TokenKey& key, KeyRotationReport& report) {
  Transaction transaction(db);
  Statement read(db, "SELECT secrets FROM tokens WHERE resource = ? AND issuer = ? AND client_id = ? AND account = ?");
  read.bind(1, key.resource).bind(2, key.issuer).bind(3, key.client_id).bind(4, key.account);
  if (!read.step()) return;  // removed meanwhile (a logout)
  const ResealResult result = reseal(keys, std::nullopt, read.blob(0), token_context(key));
  if (result.outcome == Reseal::resealed) {
    Statement write(
        db, "UPDATE tokens SET secrets = ? WHERE resource = ? AND issuer = ? AND client_id = ? AND account = ?");
    write.bind_blob(1, result.sealed).bind(2, key.resource).bind(3, key.issuer).bind(4, key.client_id);
    write.bind(5, key.account).run();
  }
  transaction.commit();
  count_reseal(report, result, grant_row(key));
}

void reseal_client(Database& db, const KeySet& keys, const std::string& issuer, KeyRotationReport& report) {
  Transaction transaction(db);
  Statement read(db, "SELECT secrets FROM clients WHERE issuer = ? AND secrets IS NOT NULL");
  read.bind(1, issuer);
  if (!read.step()) return;
  const ResealResult result = reseal(keys, std::nullopt, read.blob(0), client_context(issuer));
  if (result.outcome == Reseal::resealed) {
    Statement(db, "UPDATE clients SET secrets = ? WHERE issuer = ?").bind_blob(1, result.sealed).bind(2, issuer).run();
  }
  transaction.commit();
  count_reseal(report, result, client_row(issuer));
}

void reseal_user_server(Database& db, const KeySet& keys, const std::string& user, const std::string& name,
                        KeyRotationReport& report) {
  Transaction transaction(db);
  Statement read(db, "SELECT entry FROM user_servers WHERE user_name = ? AND name = ?");
  read.bind(1, user).bind(2, name);
  if (!read.step()) return;  // removed meanwhile
  const ResealResult result = reseal(keys, std::nullopt, read.blob(0), user_server_context(user, name));
  if (result.outcome == Reseal::resealed) {
    Statement write(db, "UPDATE user_servers SET entry = ? WHERE user_name = ? AND name = ?");
    write.bind_blob(1, result.sealed).bind(2, user).bind(3, name).run();
  }
  transaction.commit();
  count_reseal(report, result, user_server_row(user, name));
}

}  // namespace

std::string hex_blob(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string unhex_blob(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (error != std::errc() || end != text.data() + i + 2) return {};
    out += static_cast<char>(value);
  }
  return out;
}

std::vector<RecordedCheck> sqlite_key_checks(Database& db) {
  std::vector<RecordedCheck> checks;
  Statement s(db, "SELECT name, value FROM meta WHERE name = 'key_check' OR name LIKE 'key_check:%' ORDER BY name");
  while (s.step()) {
    const std::string name = s.text(0);
    checks.push_back({name == kCheck ? "" : name.substr(std::string_view(kCheckPrefix).size()), unhex_blob(s.text(1))});
  }
  return checks;
}

void sqlite_record_key_check(Database& db, const NamedKey& key) {
  for (const RecordedCheck& check : sqlite_key_checks(db)) {
    if ((check.key_id.empty() || check.key_id == key.id) && key_check_opens(key.key, check.sealed)) return;
  }
  write_meta(db, (kCheckPrefix + key.id).c_str(), hex_blob(seal_key_check(key.key)));
}

void sqlite_reseal_rows(Database& db, const KeySet& keys, std::size_t batch_size, KeyRotationReport& report) {
  const auto batch = static_cast<long long>(std::max<std::size_t>(batch_size, 1));
  // Keyset pagination: each batch starts after the last row of the one before.
  std::optional<TokenKey> after;
  for (bool more = true; more;) {
    std::vector<TokenKey> rows;
    {
      Statement s(db,
                  "SELECT resource, issuer, client_id, account FROM tokens WHERE ? OR (resource, issuer, client_id, "
                  "account) > (?, ?, ?, ?) ORDER BY resource, issuer, client_id, account LIMIT ?");
      const TokenKey from = after.value_or(TokenKey{});
      s.bind(1, static_cast<long long>(!after)).bind(2, from.resource).bind(3, from.issuer);
      s.bind(4, from.client_id).bind(5, from.account).bind(6, batch);
      while (s.step()) rows.push_back(token_key(s));
    }
    for (const TokenKey& key : rows) reseal_grant(db, keys, key, report);
    more = static_cast<long long>(rows.size()) == batch;
    if (!rows.empty()) after = rows.back();
  }
  std::optional<std::string> after_issuer;
  for (bool more = true; more;) {
    std::vector<std::string> issuers;
    {
      Statement s(db,
                  "SELECT issuer FROM clients WHERE secrets IS NOT NULL AND (? OR issuer > ?) ORDER BY issuer LIMIT ?");
      s.bind(1, static_cast<long long>(!after_issuer)).bind(2, after_issuer.value_or("")).bind(3, batch);
      while (s.step()) issuers.push_back(s.text(0));
    }
    for (const std::string& issuer : issuers) reseal_client(db, keys, issuer, report);
    more = static_cast<long long>(issuers.size()) == batch;
    if (!issuers.empty()) after_issuer = issuers.back();
  }
  std::optional<std::pair<std::string, std::string>> after_server;
  for (bool more = true; more;) {
    std::vector<std::pair<std::string, std::string>> servers;
    {
      Statement s(db,
                  "SELECT user_name, name FROM user_servers WHERE ? OR (user_name, name) > (?, ?) ORDER BY user_name, "
                  "name LIMIT ?");
      s.bind(1, static_cast<long long>(!after_server));
      s.bind(2, after_server ? after_server->first : std::string()).bind(3, after_server ? after_server->second : "");
      s.bind(4, batch);
      while (s.step()) servers.emplace_back(s.text(0), s.text(1));
    }
    for (const auto& [user, name] : servers) reseal_user_server(db, keys, user, name, report);
    more = static_cast<long long>(servers.size()) == batch;
    if (!servers.empty()) after_server = servers.back();
  }
}

KeyRotationReport sqlite_key_status(Database& db, const KeySet& keys) {
  KeyRotationReport report;
  report.current_key_id = keys.current().id;
  each_sealed_row(db, [&](SealedRow row, const std::string& sealed, const std::string& context) {
    if (const auto opened = open_with(keys, std::nullopt, sealed, context)) {
      ++report.rows_by_key[opened->key->id];
    } else {
      report.unreadable.push_back(std::move(row));
    }
  });
  for (const RecordedCheck& check : sqlite_key_checks(db)) {
    std::string id = check.key_id;
    for (const NamedKey& key : keys.all()) {
      if (id.empty() && key_check_opens(key.key, check.sealed)) id = key.id;
    }
    report.recorded_keys.push_back(id.empty() ? "(a key not given)" : id);
  }
  return report;
}

KeyRotationReport sqlite_retire_keys(Database& db, const KeySet& keys) {
  Transaction transaction(db);
  KeyRotationReport report = sqlite_key_status(db, keys);
  if (report.rows_under_other_keys() != 0) return report;  // rolled back: nothing changed
  for (const std::string& id : report.recorded_keys) {
    if (id != keys.current().id) report.retired.push_back(id);
  }
  db.exec("DELETE FROM meta WHERE name LIKE 'key_check:%'", "retiring old key checks");
  write_meta(db, kCheck, hex_blob(seal_key_check(keys.current().key)));
  transaction.commit();
  report.recorded_keys = {keys.current().id};
  return report;
}

}  // namespace mcpauth::store::detail

// The users table of SqliteTokenStore (schema 5) and the users' own servers (schema 6).
#include "mcpauth/error.hpp"
#include "sealed_rows.hpp"  // to_millis, from_millis
#include "sqlite.hpp"
#include "user_rows.hpp"

namespace mcpauth::store::detail {
namespace {

constexpr const char* kColumns = "SELECT name, admin, key_hash, created_at FROM users ";

LocalUser user_from_row(Statement& s) {
  LocalUser user;
  user.name = s.text(0);
  user.admin = s.integer(1) != 0;
  user.has_key = !s.is_null(2);
  user.created_at = from_millis(s.integer(3));
  return user;
}

std::string_view hash_bytes(const ApiKeyHash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

}  // namespace

bool add_user(Database& db, const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash) {
  check_user_name(name);
  Statement s(db, "INSERT OR IGNORE INTO users (name, admin, key_hash, created_at) VALUES (?, ?, ?, ?)");
  s.bind(1, name).bind(2, admin ? 1LL : 0LL);
  if (key_hash) {
    s.bind_blob(3, hash_bytes(*key_hash));
  } else {
    s.bind(3, std::optional<std::string>());
  }
  s.bind(4, to_millis(Clock::now())).run();
  return sqlite3_changes(db.handle()) == 1;
}

std::optional<LocalUser> find_user(Database& db, const std::string& name) {
  Statement s(db, (std::string(kColumns) + "WHERE name = ?").c_str());
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return user_from_row(s);
}

std::optional<LocalUser> find_user_by_key(Database& db, const ApiKeyHash& key_hash) {
  Statement s(db, (std::string(kColumns) + "WHERE key_hash = ?").c_str());
  s.bind_blob(1, hash_bytes(key_hash));
  if (!s.step() || !same_key_hash(key_hash, s.blob(2))) return std::nullopt;
  return user_from_row(s);
}

std::vector<LocalUser> list_users(Database& db) {
  Statement s(db, (std::string(kColumns) + "ORDER BY name").c_str());
  std::vector<LocalUser> out;
  while (s.step()) out.push_back(user_from_row(s));
  return out;
}

bool has_users(Database& db) {
  Statement s(db, "SELECT 1 FROM users LIMIT 1");
  return s.step();
}

bool remove_user(Database& db, const std::string& name) {
  Transaction transaction(db);
  Statement(db, "DELETE FROM tokens WHERE account = ?").bind(1, name).run();
  Statement(db, "DELETE FROM user_servers WHERE user_name = ?").bind(1, name).run();
  Statement(db, "DELETE FROM users WHERE name = ?").bind(1, name).run();
  const bool removed = sqlite3_changes(db.handle()) == 1;
  transaction.commit();
  return removed;
}

// In one write transaction, so two instances adding at once stay within the cap.
bool add_user_server(Database& db, const KeySet& keys, const UserServer& server, std::size_t max_servers) {
  Transaction transaction(db);
  if (!find_user(db, server.user)) throw Error(ErrorCode::usage, "there is no user named " + server.user);
  const auto held = [&] {  // the statement ends here: one left open would keep its read snapshot past the commit
    Statement count(db, "SELECT count(*) FROM user_servers WHERE user_name = ?");
    count.bind(1, server.user);
    count.step();
    return static_cast<std::size_t>(count.integer(0));
  }();
  if (held >= max_servers) {
    throw Error(ErrorCode::usage, "the user " + server.user + " has " + std::to_string(max_servers) +
                                      " servers of its own already, the most a user may have: remove one first");
  }
  Statement s(db, "INSERT OR IGNORE INTO user_servers (user_name, name, entry, created_at) VALUES (?, ?, ?, ?)");
  s.bind(1, server.user).bind(2, server.name);
  s.bind_blob(3, seal_user_server(keys, server.user, server.name, server.entry));
  s.bind(4, to_millis(Clock::now())).run();
  const bool added = sqlite3_changes(db.handle()) == 1;
  transaction.commit();
  return added;
}

std::vector<UserServer> list_user_servers(Database& db, const KeySet& keys, const std::string& user,
                                          const std::string& where) {
  Statement s(db, "SELECT name, entry, created_at FROM user_servers WHERE user_name = ? ORDER BY name");
  s.bind(1, user);
  std::vector<UserServer> out;
  while (s.step()) {
    UserServer server;
    server.user = user;
    server.name = s.text(0);
    server.entry = open_user_server(keys, std::nullopt, user, server.name, s.blob(1), where);
    server.created_at = from_millis(s.integer(2));
    out.push_back(std::move(server));
  }
  return out;
}

bool remove_user_server(Database& db, const std::string& user, const std::string& name) {
  Statement(db, "DELETE FROM user_servers WHERE user_name = ? AND name = ?").bind(1, user).bind(2, name).run();
  return sqlite3_changes(db.handle()) == 1;
}

}  // namespace mcpauth::store::detail

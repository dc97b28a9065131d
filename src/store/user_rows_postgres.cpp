// The users table of PostgresTokenStore (schema 3) and the users' own servers (schema 4).
#include "mcpauth/error.hpp"
#include "postgres.hpp"
#include "sealed_rows.hpp"  // to_millis, from_millis
#include "user_rows.hpp"

namespace mcpauth::store::detail {
namespace {

using P = PgParam;

constexpr const char* kColumns = "SELECT name, admin, key_hash, created_at FROM mcpauth_users ";

LocalUser user_from_row(const PgResult& r, int row) {
  LocalUser user;
  user.name = r.text(row, 0);
  user.admin = r.boolean(row, 1);
  user.has_key = !r.is_null(row, 2);
  user.created_at = from_millis(r.integer(row, 3));
  return user;
}

P hash_param(const ApiKeyHash& hash) {
  return P::bytes(std::string(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

}  // namespace

bool add_user(PgConnection& c, const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash) {
  check_user_name(name);
  const PgResult r = c.exec(
      "INSERT INTO mcpauth_users (name, admin, key_hash, created_at) VALUES ($1, $2::boolean, $3, $4::bigint) "
      "ON CONFLICT (name) DO NOTHING RETURNING name",
      {P::text(name), P::text(admin ? "true" : "false"), key_hash ? hash_param(*key_hash) : P::null(),
       P::integer(to_millis(Clock::now()))},
      "adding a user");
  return r.rows() == 1;
}

std::optional<LocalUser> find_user(PgConnection& c, const std::string& name) {
  const PgResult r = c.exec((std::string(kColumns) + "WHERE name = $1").c_str(), {P::text(name)}, "reading a user");
  if (r.rows() == 0) return std::nullopt;
  return user_from_row(r, 0);
}

std::optional<LocalUser> find_user_by_key(PgConnection& c, const ApiKeyHash& key_hash) {
  const PgResult r =
      c.exec((std::string(kColumns) + "WHERE key_hash = $1").c_str(), {hash_param(key_hash)}, "reading a user");
  if (r.rows() == 0 || !same_key_hash(key_hash, r.bytes(0, 2))) return std::nullopt;
  return user_from_row(r, 0);
}

std::vector<LocalUser> list_users(PgConnection& c) {
  const PgResult r = c.exec((std::string(kColumns) + "ORDER BY name").c_str(), {}, "listing users");
  std::vector<LocalUser> out;
  for (int row = 0; row < r.rows(); ++row) out.push_back(user_from_row(r, row));
  return out;
}

bool has_users(PgConnection& c) {
  return c.exec("SELECT 1 FROM mcpauth_users LIMIT 1", {}, "reading the users").rows() > 0;
}

bool remove_user(PgConnection& c, const std::string& name) {
  PgTransaction transaction(c);
  c.exec("DELETE FROM mcpauth_tokens WHERE account = $1", {P::text(name)}, "removing a user's grants");
  c.exec("DELETE FROM mcpauth_user_servers WHERE user_name = $1", {P::text(name)}, "removing a user's servers");
  const PgResult r =
      c.exec("DELETE FROM mcpauth_users WHERE name = $1 RETURNING name", {P::text(name)}, "removing a user");
  transaction.commit();
  return r.rows() == 1;
}

// The user's row is locked first: two instances adding for one user at once
// count one after the other, so the cap holds.
bool add_user_server(PgConnection& c, const KeySet& keys, const UserServer& server, std::size_t max_servers) {
  PgTransaction transaction(c);
  const PgResult user =
      c.exec("SELECT name FROM mcpauth_users WHERE name = $1 FOR UPDATE", {P::text(server.user)}, "reading a user");
  if (user.rows() == 0) throw Error(ErrorCode::usage, "there is no user named " + server.user);
  const PgResult count = c.exec("SELECT count(*) FROM mcpauth_user_servers WHERE user_name = $1",
                                {P::text(server.user)}, "counting a user's servers");
  if (static_cast<std::size_t>(count.integer(0, 0)) >= max_servers) {
    throw Error(ErrorCode::usage, "the user " + server.user + " has " + std::to_string(max_servers) +
                                      " servers of its own already, the most a user may have: remove one first");
  }
  const PgResult r = c.exec(
      "INSERT INTO mcpauth_user_servers (user_name, name, key_id, entry, created_at) "
      "VALUES ($1, $2, $3, $4, $5::bigint) ON CONFLICT (user_name, name) DO NOTHING RETURNING name",
      {P::text(server.user), P::text(server.name), P::text(keys.current().id),
       P::bytes(seal_user_server(keys, server.user, server.name, server.entry)), P::integer(to_millis(Clock::now()))},
      "adding a user's server");
  transaction.commit();
  return r.rows() == 1;
}

std::vector<UserServer> list_user_servers(PgConnection& c, const KeySet& keys, const std::string& user,
                                          const std::string& where) {
  const PgResult r =
      c.exec("SELECT name, key_id, entry, created_at FROM mcpauth_user_servers WHERE user_name = $1 ORDER BY name",
             {P::text(user)}, "listing a user's servers");
  std::vector<UserServer> out;
  for (int row = 0; row < r.rows(); ++row) {
    UserServer server;
    server.user = user;
    server.name = r.text(row, 0);
    server.entry = open_user_server(keys, r.text(row, 1), user, server.name, r.bytes(row, 2), where);
    server.created_at = from_millis(r.integer(row, 3));
    out.push_back(std::move(server));
  }
  return out;
}

bool remove_user_server(PgConnection& c, const std::string& user, const std::string& name) {
  return c.exec("DELETE FROM mcpauth_user_servers WHERE user_name = $1 AND name = $2 RETURNING name",
                {P::text(user), P::text(name)}, "removing a user's server")
             .rows() == 1;
}

}  // namespace mcpauth::store::detail

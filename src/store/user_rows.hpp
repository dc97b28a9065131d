// The users table of both persistent stores (SQLite `users`, PostgreSQL
// `mcpauth_users`): name, admin flag, the SHA-256 of the API key (never the
// key) and the creation time. Each function runs on a connection the store
// leased; remove_user deletes the user's grants and own servers in the same
// transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "key_set.hpp"
#include "mcpauth/store/local_users.hpp"

namespace mcpauth::store::detail {

class Database;
class PgConnection;

// Constant-time: a stored hash that differs from `expected` anywhere takes as long as one that matches.
bool same_key_hash(const ApiKeyHash& expected, std::string_view stored);

bool add_user(Database& db, const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash);
std::optional<LocalUser> find_user(Database& db, const std::string& name);
std::optional<LocalUser> find_user_by_key(Database& db, const ApiKeyHash& key_hash);
std::vector<LocalUser> list_users(Database& db);
bool has_users(Database& db);
bool remove_user(Database& db, const std::string& name);

// A user's own servers (SQLite `user_servers`, PostgreSQL
// `mcpauth_user_servers`), their entries sealed with `keys`; `where` names
// the store in errors.
bool add_user_server(Database& db, const KeySet& keys, const UserServer& server, std::size_t max_servers);
std::vector<UserServer> list_user_servers(Database& db, const KeySet& keys, const std::string& user,
                                          const std::string& where);
bool remove_user_server(Database& db, const std::string& user, const std::string& name);

bool add_user(PgConnection& c, const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash);
std::optional<LocalUser> find_user(PgConnection& c, const std::string& name);
std::optional<LocalUser> find_user_by_key(PgConnection& c, const ApiKeyHash& key_hash);
std::vector<LocalUser> list_users(PgConnection& c);
bool has_users(PgConnection& c);
bool remove_user(PgConnection& c, const std::string& name);

bool add_user_server(PgConnection& c, const KeySet& keys, const UserServer& server, std::size_t max_servers);
std::vector<UserServer> list_user_servers(PgConnection& c, const KeySet& keys, const std::string& user,
                                          const std::string& where);
bool remove_user_server(PgConnection& c, const std::string& user, const std::string& name);

}  // namespace mcpauth::store::detail

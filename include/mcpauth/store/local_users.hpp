// The gateway's own users: who may send requests to it, each acting with
// grants of its own (a user's name is the account of every grant it uses).
// A user authenticates with an API key that mcpauth makes once and never
// keeps: the store holds only the key's SHA-256, so a copy of the database
// lets no one in. A user made by a host that authenticates its own users
// (host mode) has no key at all.
//
// SqliteTokenStore and PostgresTokenStore implement UserDirectory as well as
// TokenStore (users live in the same database as their grants);
// user_directory() finds it. A store without users (the memory store, an
// embedder's own) serves one user, as before users existed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {

using ApiKeyHash = std::array<std::uint8_t, 32>;  // SHA-256 of the whole key text

struct LocalUser {
  std::string name;  // also the account of the user's grants
  bool admin = false;
  bool has_key = false;  // false: made by a host (host mode), no API key of its own
  Clock::time_point created_at{};
};

// A server a user added for itself (the gateway's POST /api/servers by a
// user who is not an administrator): the same entry the config file would
// hold, as JSON text, usable by that user only. The store keeps the entry
// sealed (it may carry header values and client secrets).
struct UserServer {
  std::string user;
  std::string name;
  std::string entry;  // a config file entry: {"url": ..., "headers"?: {...}, "oauth"?: {...}}
  Clock::time_point created_at{};
};

// At most this many servers of its own per user.
inline constexpr std::size_t kMaxServersPerUser = 64;

class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  // Adds a user; false (and nothing changed) when one of that name exists.
  // Throws Error(usage) for a name valid_user_name() refuses.
  virtual bool add_user(const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash) = 0;
  virtual std::optional<LocalUser> find_user(const std::string& name) = 0;
  // The user whose key hashes to `key_hash` (the hashes are compared in
  // constant time); nullopt for every other value.
  virtual std::optional<LocalUser> find_user_by_key(const ApiKeyHash& key_hash) = 0;
  virtual std::vector<LocalUser> list_users() = 0;  // by name
  virtual bool has_users() = 0;
  // Removes the user and every grant whose account is the user's name, in
  // one transaction; false when there was no such user. Revoking the grants
  // first is the caller's (it needs the network).
  virtual bool remove_user(const std::string& name) = 0;

  // A user's own servers (remove_user removes them too). A store that keeps
  // users keeps them; the defaults are a store's that keeps none.
  //
  // Adds one; false (nothing changed) when the user has one of that name.
  // Throws Error(usage) when the user does not exist or already has
  // `max_servers`, Error(store) when the store fails.
  virtual bool add_user_server(const UserServer& server, std::size_t max_servers = kMaxServersPerUser);
  // The user's servers by name, their entries opened (Error(store) when one does not open).
  virtual std::vector<UserServer> list_user_servers(const std::string& user);
  // False when the user has no server of that name.
  virtual bool remove_user_server(const std::string& user, const std::string& name);
};

// The store's users; nullptr when `store` keeps none.
std::shared_ptr<UserDirectory> user_directory(const std::shared_ptr<TokenStore>& store);

// 1 to 64 characters of A-Z a-z 0-9 . _ @ + - , starting with a letter or a
// digit: safe in a header, a log line, a URL path and a shell word.
bool valid_user_name(std::string_view name);
// Throws Error(usage) naming the rule (the name is repeated only when printable and short).
void check_user_name(std::string_view name);

// A new API key: "mcpa_" and 256 random bits (OpenSSL's generator) in base64url.
std::string new_api_key();
ApiKeyHash hash_api_key(std::string_view key);
// Whether `text` has the shape of a key new_api_key() makes (prefix and length).
bool looks_like_api_key(std::string_view text);

}  // namespace mcpauth::store

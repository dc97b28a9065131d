// The gateway's view of the store's users, kept in memory for a short while
// (kUserCacheTtl) so that screening a request does not query the database:
// the screen runs on the I/O threads, and a query there (a round trip on
// PostgreSQL) would hold every connection of that thread. What a change
// costs: a user added, removed or given a new key counts within the TTL on
// every instance. A key that matches no user is never cached, so a new
// user's key works at once.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/store/local_users.hpp"

namespace mcpauth::gateway {

inline constexpr auto kUserCacheTtl = std::chrono::seconds(2);

class UserCache {
 public:
  using Clock = std::chrono::steady_clock;

  // `directory` may be null (a store without users: never users mode).
  explicit UserCache(std::shared_ptr<store::UserDirectory> directory, std::size_t max_entries = 10'000);

  bool available() const noexcept { return directory_ != nullptr; }
  // Whether the store has users, as of at most kUserCacheTtl ago.
  bool has_users(Clock::time_point now = Clock::now());
  // The user of a key's hash; a hit is remembered for the TTL, a miss not.
  std::optional<store::LocalUser> by_key(const store::ApiKeyHash& hash, Clock::time_point now = Clock::now());
  // A host's user by name, made (without a key, never an admin) when the
  // store has none of that name. Throws Error(store) when it cannot be made.
  store::LocalUser host_user(const std::string& name, Clock::time_point now = Clock::now());
  // Every user, read now (not cached: for an administrator's view and the
  // housekeeping's sweep, never per request); empty without users.
  std::vector<store::LocalUser> list_users();

 private:
  struct Entry {
    store::LocalUser user;
    Clock::time_point fetched;
  };
  template <typename Key>
  std::optional<store::LocalUser> fresh(const std::map<Key, Entry>& map, const Key& key, Clock::time_point now);
  template <typename Key>
  void remember(std::map<Key, Entry>& map, const Key& key, const store::LocalUser& user, Clock::time_point now);

  std::shared_ptr<store::UserDirectory> directory_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::optional<bool> has_users_;
  Clock::time_point has_users_fetched_{};
  std::map<store::ApiKeyHash, Entry> by_key_;
  std::map<std::string, Entry> by_name_;
};

}  // namespace mcpauth::gateway

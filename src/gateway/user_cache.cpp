#include "user_cache.hpp"

#include "mcpauth/error.hpp"

namespace mcpauth::gateway {

UserCache::UserCache(std::shared_ptr<store::UserDirectory> directory, std::size_t max_entries)
    : directory_(std::move(directory)), max_entries_(max_entries) {}

bool UserCache::has_users(Clock::time_point now) {
  if (!directory_) return false;
  {
    std::lock_guard lock(mutex_);
    if (has_users_ && now - has_users_fetched_ < kUserCacheTtl) return *has_users_;
  }
  const bool found = directory_->has_users();  // outside the lock: a query may wait
  std::lock_guard lock(mutex_);
  has_users_ = found;
  has_users_fetched_ = now;
  return found;
}

template <typename Key>
std::optional<store::LocalUser> UserCache::fresh(const std::map<Key, Entry>& map, const Key& key,
                                                 Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = map.find(key);
  if (it == map.end() || now - it->second.fetched >= kUserCacheTtl) return std::nullopt;
  return it->second.user;
}

template <typename Key>
void UserCache::remember(std::map<Key, Entry>& map, const Key& key, const store::LocalUser& user,
                         Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (map.size() >= max_entries_) map.clear();  // bounded: many distinct keys only cost queries again
  map[key] = Entry{user, now};
}

std::optional<store::LocalUser> UserCache::by_key(const store::ApiKeyHash& hash, Clock::time_point now) {
  if (!directory_) return std::nullopt;
  if (auto cached = fresh(by_key_, hash, now)) return cached;
  auto user = directory_->find_user_by_key(hash);
  if (user) remember(by_key_, hash, *user, now);
  return user;
}

store::LocalUser UserCache::host_user(const std::string& name, Clock::time_point now) {
  if (!directory_) throw Error(ErrorCode::usage, "host mode needs a token store that keeps users");
  if (auto cached = fresh(by_name_, name, now)) return *cached;
  auto user = directory_->find_user(name);
  if (!user) {
    directory_->add_user(name, false, std::nullopt);  // false when a request in parallel made it: found below
    user = directory_->find_user(name);
  }
  if (!user) throw Error(ErrorCode::store, "the user named by the host could not be added to the token store");
  remember(by_name_, name, *user, now);
  return *user;
}

std::vector<store::LocalUser> UserCache::list_users() {
  return directory_ ? directory_->list_users() : std::vector<store::LocalUser>{};
}

}  // namespace mcpauth::gateway

// The gateway's brief memory of the store's users (src/gateway/user_cache):
// what it spares the database, and what it must never keep.
#include "user_cache.hpp"

#include <gtest/gtest.h>

#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

using Clock = UserCache::Clock;

// A directory that counts its queries.
class CountingDirectory final : public store::UserDirectory {
 public:
  std::map<std::string, store::LocalUser> users;
  std::map<store::ApiKeyHash, std::string> keys;
  int queries = 0;

  bool add_user(const std::string& name, bool admin, const std::optional<store::ApiKeyHash>& key_hash) override {
    ++queries;
    if (users.count(name) != 0) return false;
    users[name] = store::LocalUser{name, admin, key_hash.has_value(), {}};
    if (key_hash) keys[*key_hash] = name;
    return true;
  }
  std::optional<store::LocalUser> find_user(const std::string& name) override {
    ++queries;
    const auto it = users.find(name);
    return it == users.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<store::LocalUser> find_user_by_key(const store::ApiKeyHash& hash) override {
    ++queries;
    const auto it = keys.find(hash);
    return it == keys.end() ? std::nullopt : find_user(it->second);
  }
  std::vector<store::LocalUser> list_users() override { return {}; }
  bool has_users() override {
    ++queries;
    return !users.empty();
  }
  bool remove_user(const std::string& name) override { return users.erase(name) != 0; }
};

store::ApiKeyHash hash_of(std::uint8_t byte) {
  store::ApiKeyHash hash{};
  hash.fill(byte);
  return hash;
}

TEST(GatewayUserCache, AStoreWithoutUsersIsNeverUsersMode) {
  UserCache cache(nullptr);
  EXPECT_FALSE(cache.available());
  EXPECT_FALSE(cache.has_users());
  EXPECT_FALSE(cache.by_key(hash_of(1)));
  EXPECT_THROW(cache.host_user("h1"), Error);
}

TEST(GatewayUserCache, WhetherThereAreUsersIsAskedAgainOnlyAfterTheTtl) {
  auto directory = std::make_shared<CountingDirectory>();
  UserCache cache(directory);
  const auto t0 = Clock::now();
  EXPECT_FALSE(cache.has_users(t0));
  directory->add_user("alice", false, hash_of(1));
  directory->queries = 0;
  EXPECT_FALSE(cache.has_users(t0 + kUserCacheTtl / 2)) << "remembered";
  EXPECT_EQ(directory->queries, 0);
  EXPECT_TRUE(cache.has_users(t0 + kUserCacheTtl)) << "asked again";
  EXPECT_EQ(directory->queries, 1);
}

TEST(GatewayUserCache, AKeysUserIsRememberedForTheTtlAndAnUnknownKeyNever) {
  auto directory = std::make_shared<CountingDirectory>();
  directory->add_user("alice", true, hash_of(1));
  UserCache cache(directory);
  const auto t0 = Clock::now();
  directory->queries = 0;
  ASSERT_TRUE(cache.by_key(hash_of(1), t0));
  EXPECT_EQ(cache.by_key(hash_of(1), t0 + kUserCacheTtl / 2)->name, "alice");
  EXPECT_EQ(directory->queries, 2) << "one lookup (find_user_by_key + find_user), then the memory";

  EXPECT_FALSE(cache.by_key(hash_of(2), t0));
  directory->add_user("bob", false, hash_of(2));
  EXPECT_EQ(cache.by_key(hash_of(2), t0)->name, "bob") << "a new user's key works at once";

  directory->remove_user("alice");
  directory->keys.erase(hash_of(1));
  EXPECT_FALSE(cache.by_key(hash_of(1), t0 + kUserCacheTtl)) << "a removed user's key stops after the TTL";
}

TEST(GatewayUserCache, AHostsUserIsMadeOnceAndRemembered) {
  auto directory = std::make_shared<CountingDirectory>();
  UserCache cache(directory);
  const auto t0 = Clock::now();
  const auto made = cache.host_user("h1", t0);
  EXPECT_EQ(made.name, "h1");
  EXPECT_FALSE(made.admin);
  EXPECT_FALSE(made.has_key);
  const int after_first = directory->queries;
  EXPECT_EQ(cache.host_user("h1", t0 + kUserCacheTtl / 2).name, "h1");
  EXPECT_EQ(directory->queries, after_first);
  EXPECT_EQ(directory->users.size(), 1u);
}

TEST(GatewayUserCache, ManyDistinctKeysKeepTheMemoryBounded) {
  auto directory = std::make_shared<CountingDirectory>();
  for (std::uint8_t i = 1; i <= 3; ++i) directory->add_user("u" + std::to_string(i), false, hash_of(i));
  UserCache cache(directory, /*max_entries=*/2);
  const auto t0 = Clock::now();
  for (std::uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(cache.by_key(hash_of(i), t0));
  directory->queries = 0;
  EXPECT_TRUE(cache.by_key(hash_of(3), t0)) << "the newest is remembered";
  EXPECT_EQ(directory->queries, 0);
  EXPECT_TRUE(cache.by_key(hash_of(1), t0)) << "the memory was emptied at its bound: asked again";
  EXPECT_EQ(directory->queries, 2);
}

}  // namespace
}  // namespace mcpauth::gateway

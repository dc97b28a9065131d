// Users' own servers in the SQLite store (UserDirectory::add_user_server):
// kept per user and name, capped per user, sealed (a header value is never
// in the files), removed with their user, and sealed again by a key rotation
// (read with the new key alone afterwards).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "error_of.hpp"
#include "key_rotation_checks.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/local_users.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/files.hpp"

namespace mcpauth::store {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

const std::string kUserServersKeyA = new_store_key();
const std::string kUserServersKeyB = new_store_key();

class UserServers : public ::testing::Test {
 protected:
  UserServers() : dir_(test_platform::make_temp_dir("mcpauth-user-servers")) {
    store = open(kUserServersKeyA);
    users = user_directory(store);
  }
  ~UserServers() override { fs::remove_all(dir_); }

  std::shared_ptr<TokenStore> open(const std::string& key, std::optional<std::string> previous = std::nullopt) const {
    SqliteStoreOptions options;
    options.path = dir_ / "tokens.db";
    options.use_keyring = false;
    options.key = key;
    options.previous_keys = std::move(previous);
    return open_sqlite_token_store(options);
  }

  std::string all_bytes() const {
    std::string out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      out += bytes.str();
    }
    return out;
  }

  static UserServer server_of(const std::string& user, const std::string& name, const std::string& entry) {
    UserServer server;
    server.user = user;
    server.name = name;
    server.entry = entry;
    return server;
  }

  fs::path dir_;
  std::shared_ptr<TokenStore> store;
  std::shared_ptr<UserDirectory> users;
};

const std::string kUserServerEntry =
    R"({"url":"https://mcp.example/mcp","headers":{"X-Api-Key":"header-value-in-clear"}})";

TEST_F(UserServers, EachUserHasItsOwnAndTheEntryIsSealed) {
  ASSERT_TRUE(users);
  ASSERT_TRUE(users->add_user("alice", false, hash_api_key(new_api_key())));
  ASSERT_TRUE(users->add_user("bob", false, hash_api_key(new_api_key())));
  EXPECT_TRUE(users->add_user_server(server_of("alice", "mine", kUserServerEntry)));
  EXPECT_FALSE(users->add_user_server(server_of("alice", "mine", R"({"url":"https://other.example/mcp"})")))
      << "a second of that name changes nothing";
  EXPECT_TRUE(users->add_user_server(server_of("bob", "mine", R"({"url":"https://bob.example/mcp"})")))
      << "another user's server may have the same name";

  const auto alice = users->list_user_servers("alice");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].name, "mine");
  EXPECT_EQ(alice[0].entry, kUserServerEntry);
  const auto bob = users->list_user_servers("bob");
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[0].entry, R"({"url":"https://bob.example/mcp"})");
  EXPECT_EQ(all_bytes().find("header-value-in-clear"), std::string::npos) << "the entry is sealed";
  EXPECT_EQ(all_bytes().find("bob.example"), std::string::npos) << "the whole entry, its URL too";

  EXPECT_EQ(error_of([&] { users->add_user_server(server_of("carol", "mine", kUserServerEntry)); }).code(),
            ErrorCode::usage)
      << "no such user";
  EXPECT_FALSE(users->remove_user_server("bob", "nothing"));
  EXPECT_TRUE(users->remove_user_server("bob", "mine"));
  EXPECT_TRUE(users->list_user_servers("bob").empty());
  EXPECT_EQ(users->list_user_servers("alice").size(), 1u) << "removing bob's leaves alice's";
}

TEST_F(UserServers, AUserHasAtMostTheCapAndLosesThemWithTheUser) {
  ASSERT_TRUE(users->add_user("alice", false, hash_api_key(new_api_key())));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(users->add_user_server(server_of("alice", "s" + std::to_string(i), kUserServerEntry), 3));
  }
  const Error over = error_of([&] { users->add_user_server(server_of("alice", "s3", kUserServerEntry), 3); });
  EXPECT_EQ(over.code(), ErrorCode::usage);
  EXPECT_NE(std::string(over.what()).find("remove one"), std::string::npos) << over.what();
  EXPECT_EQ(users->list_user_servers("alice").size(), 3u);
  EXPECT_TRUE(users->remove_user("alice"));
  ASSERT_TRUE(users->add_user("alice", false, hash_api_key(new_api_key())));
  EXPECT_TRUE(users->list_user_servers("alice").empty()) << "a new user of the same name inherits nothing";
}

TEST_F(UserServers, AKeyRotationSealsThemAgain) {
  ASSERT_TRUE(users->add_user("alice", false, hash_api_key(new_api_key())));
  ASSERT_TRUE(users->add_user_server(server_of("alice", "mine", kUserServerEntry)));
  const KeyRotationReport rotated = testing::rotate_store(store, kUserServersKeyB);
  EXPECT_TRUE(rotated.unreadable.empty());
  EXPECT_GE(rotated.resealed, 1u);
  users.reset();
  store.reset();
  const auto with_b = open(kUserServersKeyB);
  const auto servers = user_directory(with_b)->list_user_servers("alice");
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].entry, kUserServerEntry) << "read with the new key alone";
}

}  // namespace
}  // namespace mcpauth::store

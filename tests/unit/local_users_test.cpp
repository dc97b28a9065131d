// Local users in the SQLite store: keys made once and kept only as their
// SHA-256 (the files hold no key), lookup by key, names validated, and
// removing a user removing exactly that user's grants.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "error_of.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/local_users.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/files.hpp"

namespace mcpauth::store {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

class LocalUsers : public ::testing::Test {
 protected:
  LocalUsers() : dir_(test_platform::make_temp_dir("mcpauth-users")) {
    SqliteStoreOptions options;
    options.path = dir_ / "tokens.db";
    options.use_keyring = false;
    store = open_sqlite_token_store(options);
    users = user_directory(store);
  }
  ~LocalUsers() override { fs::remove_all(dir_); }

  // Every byte of every file of the store (database, its WAL, the key file).
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

  fs::path dir_;
  std::shared_ptr<TokenStore> store;
  std::shared_ptr<UserDirectory> users;
};

TEST_F(LocalUsers, AKeyIsFoundByItsHashAndTheFilesHoldNoKey) {
  ASSERT_TRUE(users);
  const std::string key = new_api_key();
  EXPECT_TRUE(looks_like_api_key(key)) << "prefix and 43 base64url characters";
  EXPECT_EQ(key.rfind("mcpa_", 0), 0u);
  ASSERT_TRUE(users->add_user("alice", false, hash_api_key(key)));
  const auto found = users->find_user_by_key(hash_api_key(key));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "alice");
  EXPECT_TRUE(found->has_key);
  EXPECT_FALSE(users->find_user_by_key(hash_api_key(new_api_key())));
  EXPECT_FALSE(users->find_user_by_key(hash_api_key(key + "x")));
  const std::string bytes = all_bytes();
  EXPECT_EQ(bytes.find(key), std::string::npos);
  EXPECT_EQ(bytes.find(key.substr(5)), std::string::npos) << "not even the key without its prefix";
}

TEST_F(LocalUsers, KeysAreNeverTheSameAndOnlyTheirShapeIsRecognised) {
  const std::string a = new_api_key();
  EXPECT_NE(a, new_api_key());
  EXPECT_NE(hash_api_key(a), hash_api_key(new_api_key()));
  for (const std::string& text : {std::string("mcpa_"), "mcpb_" + a.substr(5), a + "A", a.substr(0, a.size() - 1),
                                  a.substr(0, a.size() - 1) + "=", std::string("Bearer")}) {
    EXPECT_FALSE(looks_like_api_key(text)) << text;
  }
}

TEST_F(LocalUsers, NamesAreSmallPrintableWords) {
  for (const char* name : {"alice", "Bob.Smith", "u_1", "a@example.com", "team+ops", "7", "x-y"}) {
    EXPECT_TRUE(valid_user_name(name)) << name;
  }
  for (const std::string name :
       {std::string(), std::string(65, 'a'), std::string("-a"), std::string(".hidden"), std::string("a b"),
        std::string("a/b"), std::string("a:b"), std::string("é"), std::string("a\nb"), std::string("a\0b", 3)}) {
    EXPECT_FALSE(valid_user_name(name)) << name;
    EXPECT_EQ(error_of([&] { users->add_user(name, false, std::nullopt); }).code(), ErrorCode::usage);
  }
  EXPECT_TRUE(valid_user_name(std::string(64, 'a')));
  EXPECT_FALSE(users->has_users()) << "a refused name adds nothing";
}

TEST_F(LocalUsers, ANameIsAddedOnceAndListedWithItsFlags) {
  EXPECT_FALSE(users->has_users());
  ASSERT_TRUE(users->add_user("carol", true, hash_api_key(new_api_key())));
  ASSERT_TRUE(users->add_user("bob", false, std::nullopt));
  const std::string other_key = new_api_key();
  EXPECT_FALSE(users->add_user("carol", false, hash_api_key(other_key))) << "an existing name is not replaced";
  EXPECT_FALSE(users->find_user_by_key(hash_api_key(other_key)));
  EXPECT_TRUE(users->has_users());
  const auto list = users->list_users();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "bob");
  EXPECT_FALSE(list[0].admin);
  EXPECT_FALSE(list[0].has_key) << "a host's user has no key";
  EXPECT_EQ(list[1].name, "carol");
  EXPECT_TRUE(list[1].admin);
  EXPECT_GT(list[1].created_at, Clock::time_point{});
  ASSERT_TRUE(users->find_user("bob"));
  EXPECT_FALSE(users->find_user("dave"));
}

TEST_F(LocalUsers, RemovingAUserRemovesItsGrantsAndNoOneElses) {
  ASSERT_TRUE(users->add_user("alice", false, hash_api_key(new_api_key())));
  core::oauth::TokenSet tokens;
  tokens.access_token = "a-token";
  const TokenKey alices{"https://mcp.example/mcp", "https://as.example", "c", "alice"};
  const TokenKey bobs{"https://mcp.example/mcp", "https://as.example", "c", "bob"};
  const TokenKey defaults{"https://mcp.example/mcp", "https://as.example", "c", ""};
  for (const auto& key : {alices, bobs, defaults}) store->save_tokens(key, tokens);
  EXPECT_TRUE(users->remove_user("alice"));
  EXPECT_FALSE(users->find_user("alice"));
  EXPECT_FALSE(store->load_tokens(alices));
  EXPECT_TRUE(store->load_tokens(bobs));
  EXPECT_TRUE(store->load_tokens(defaults));
  EXPECT_FALSE(users->remove_user("alice")) << "already gone";
}

TEST(LocalUsersOfOtherStores, TheMemoryStoreKeepsNone) {
  EXPECT_EQ(user_directory(make_memory_token_store()), nullptr);
}

}  // namespace
}  // namespace mcpauth::store

// The SQLite token store on real files in a temporary directory: modes,
// encryption at rest, refusal of foreign/corrupt/newer/wrong-key stores
// (left byte-for-byte as they were), migration from schema 1, the per-grant
// lock across store instances, and flow claims.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../../src/store/cipher.hpp"
#include "../../src/store/schema.hpp"
#include "../../src/store/sqlite.hpp"
#include "../../src/store/store_file.hpp"
#include "error_of.hpp"
#include "grants_of_expectations.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/local_users.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/files.hpp"
#include "platform/process.hpp"

namespace mcpauth::store {
namespace {

namespace fs = std::filesystem;
using core::oauth::ClientKind;
using core::oauth::ClientRegistration;
using core::oauth::TokenSet;

class TempDir {
 public:
  TempDir() : path_(test_platform::make_temp_dir("mcpauth-store")) {}
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const TokenKey kKey{"https://mcp.example.com/mcp", "https://as.example.com", "client-1", ""};

TokenSet tokens(const std::string& access, const std::string& refresh) {
  TokenSet t;
  t.access_token = access;
  t.refresh_token = refresh;
  t.scope = "mcp:tools offline_access";
  t.expires_at = Clock::time_point(std::chrono::milliseconds(1'900'000'000'123));
  return t;
}

// A confidential client of kKey's authorization server: its secret must be
// stored encrypted.
ClientRegistration secret_client() {
  ClientRegistration client;
  client.issuer = kKey.issuer;
  client.client_id = "client-1";
  client.client_secret = "client-secret-value-7";
  return client;
}

SqliteStoreOptions options_in(const TempDir& dir) {
  SqliteStoreOptions options;
  options.path = dir.path() / "data" / "mcpauth" / "tokens.db";
  options.use_keyring = false;
  return options;
}

TEST(SqliteTokenStore, KeepsEverythingAcrossReopeningWithTheSameKeyFile) {
  TempDir dir;
  const auto options = options_in(dir);
  {
    auto store = open_sqlite_token_store(options);
    ClientRegistration client = secret_client();
    client.token_endpoint_auth_method = "client_secret_basic";
    client.redirect_uris = {"http://127.0.0.1:4321/callback/abc"};
    client.kind = ClientKind::pre_registered;
    store->save_client(client);
    store->save_tokens(kKey, tokens("access-value-1", "refresh-value-1"));
    DiscoveryRecord record;
    record.server_url = "https://mcp.example.com/mcp";
    record.resource = "https://mcp.example.com/mcp";
    record.issuer = kKey.issuer;
    record.as_url = "https://as.example.com/.well-known/oauth-authorization-server";
    record.as_body = R"({"issuer":"https://as.example.com"})";
    record.fetched_at = Clock::time_point(std::chrono::seconds(1'800'000'000));
    store->save_discovery(record);
  }
  auto store = open_sqlite_token_store(options);
  const auto client = store->load_client(kKey.issuer);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->client_id, "client-1");
  EXPECT_EQ(client->client_secret, "client-secret-value-7");
  EXPECT_EQ(client->token_endpoint_auth_method, "client_secret_basic");
  EXPECT_EQ(client->kind, ClientKind::pre_registered);
  EXPECT_EQ(client->redirect_uris, std::vector<std::string>{"http://127.0.0.1:4321/callback/abc"});
  const auto loaded = store->load_tokens(kKey);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, "access-value-1");
  EXPECT_EQ(loaded->refresh_token, "refresh-value-1");
  EXPECT_EQ(loaded->scope, "mcp:tools offline_access");
  EXPECT_EQ(loaded->expires_at, tokens("", "").expires_at) << "absolute expiry kept to the millisecond";
  EXPECT_FALSE(store->load_tokens(TokenKey{kKey.resource, kKey.issuer, kKey.client_id, "work"}));
  const auto record = store->load_discovery("https://mcp.example.com/mcp");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->issuer, kKey.issuer);
  EXPECT_EQ(record->as_body, R"({"issuer":"https://as.example.com"})");
  EXPECT_EQ(record->fetched_at, Clock::time_point(std::chrono::seconds(1'800'000'000)));
  ASSERT_EQ(store->list_grants().size(), 1u);
  EXPECT_EQ(store->list_grants()[0].key, kKey);
}

TEST(SqliteTokenStore, FilesArePrivateAndHoldNoSecretInClear) {
  TempDir dir;
  const auto options = options_in(dir);
  auto store = open_sqlite_token_store(options);
  store->save_client(secret_client());
  store->save_tokens(kKey, tokens("access-value-1", "refresh-value-1"));
  EXPECT_EQ(test_platform::mode_of(options.path.parent_path()), 0700u);
  EXPECT_EQ(test_platform::mode_of(options.path), 0600u);
  EXPECT_EQ(test_platform::mode_of(options.path.string() + ".key"), 0600u);
  bool checked_wal = false;
  for (const auto& entry : fs::directory_iterator(options.path.parent_path())) {
    const std::string bytes = read_all(entry.path());
    for (const char* secret : {"access-value-1", "refresh-value-1", "client-secret-value-7"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in clear in " << entry.path();
    }
    if (entry.path().string().ends_with("-wal")) {
      checked_wal = true;
      EXPECT_EQ(test_platform::mode_of(entry.path()), 0600u);
    }
  }
  EXPECT_TRUE(checked_wal) << "the write-ahead log is where fresh rows live: it must be checked too";
}

TEST(SqliteTokenStore, AKeyFileReadableByOthersIsRefused) {
  TempDir dir;
  const auto options = options_in(dir);
  open_sqlite_token_store(options);
  test_platform::set_mode(options.path.string() + ".key", 0644);
  const Error e = mcpauth::testing::error_of([&] { open_sqlite_token_store(options); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
}

void expect_refused_and_untouched(const SqliteStoreOptions& options, const std::string& expected_words) {
  const std::string before = read_all(options.path);
  const Error e = mcpauth::testing::error_of([&] { open_sqlite_token_store(options); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find(expected_words), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(options.path.string()), std::string::npos) << e.what();
  EXPECT_TRUE(read_all(options.path) == before) << "a refused store must be left byte for byte as it was";
}

TEST(SqliteTokenStore, AWrongKeyIsRefusedAndTheStoreKept) {
  TempDir dir;
  auto options = options_in(dir);
  options.key = detail::encode_key(detail::random_key());
  open_sqlite_token_store(options)->save_tokens(kKey, tokens("a", "r"));
  options.key = detail::encode_key(detail::random_key());
  expect_refused_and_untouched(options, "cannot be opened with the key from MCPAUTH_KEY");
}

TEST(SqliteTokenStore, AMissingKeyForAnExistingStoreIsNotReplacedByANewOne) {
  TempDir dir;
  const auto options = options_in(dir);
  open_sqlite_token_store(options)->save_tokens(kKey, tokens("a", "r"));
  fs::remove(options.path.string() + ".key");
  expect_refused_and_untouched(options, "its key was not found");
  EXPECT_FALSE(fs::exists(options.path.string() + ".key")) << "no new key may be made for an existing store";
}

// A SQLite database of another program where the store is to be, made by `sql`.
void another_programs_database(const SqliteStoreOptions& options, const char* sql) {
  fs::create_directories(options.path.parent_path());
  detail::Database db(options.path, std::chrono::milliseconds(1000));
  db.exec(sql, "test setup");
}

TEST(SqliteTokenStore, AFileThatIsNotADatabaseIsRefusedAndKept) {
  TempDir dir;
  const auto options = options_in(dir);
  fs::create_directories(options.path.parent_path());
  std::ofstream(options.path) << std::string(4096, 'x');
  expect_refused_and_untouched(options, "not a readable SQLite database");
}

TEST(SqliteTokenStore, AnotherProgramsDatabaseIsRefusedAndKept) {
  TempDir dir;
  const auto options = options_in(dir);
  another_programs_database(options, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')");
  expect_refused_and_untouched(options, "another program");
}

// Issue 11: the store changed files it did not own.
TEST(SqliteTokenStore, AnotherProgramsDatabaseKeepsItsModeAndItsDirectoryToo) {
  TempDir dir;
  const auto options = options_in(dir);
  another_programs_database(options, "CREATE TABLE notes (body TEXT)");
  ASSERT_TRUE(test_platform::set_mode(options.path, 0644));
  ASSERT_TRUE(test_platform::set_mode(options.path.parent_path(), 0755));
  expect_refused_and_untouched(options, "another program");
  EXPECT_EQ(test_platform::mode_of(options.path), 0644u) << "a file that is not ours is never chmod'ed";
  EXPECT_EQ(test_platform::mode_of(options.path.parent_path()), 0755u)
      << "a directory mcpauth did not create is never chmod'ed";
}

TEST(SqliteTokenStore, AnExistingDirectoryIsLeftAsItIsAndOnlyNewOnesArePrivate) {
  TempDir dir;
  auto options = options_in(dir);
  const fs::path home = dir.path() / "home";  // stands for $HOME given as MCPAUTH_STORE's directory
  fs::create_directories(home);
  ASSERT_TRUE(test_platform::set_mode(home, 0755));
  options.path = home / "new" / "tokens.db";
  open_sqlite_token_store(options)->save_tokens(kKey, tokens("a", "r"));
  EXPECT_EQ(test_platform::mode_of(home), 0755u);
  EXPECT_EQ(test_platform::mode_of(home / "new"), 0700u);
  EXPECT_EQ(test_platform::mode_of(options.path), 0600u);
  for (const auto& entry : fs::directory_iterator(home / "new")) {
    EXPECT_EQ(entry.path().string().find(".new-"), std::string::npos) << "a leftover " << entry.path();
  }
}

TEST(SqliteTokenStore, AnEmptyDatabaseMarkedByAnotherProgramIsNotTakenOver) {
  for (const char* mark : {"PRAGMA application_id = 42", "PRAGMA user_version = 7"}) {
    TempDir dir;
    const auto options = options_in(dir);
    fs::create_directories(options.path.parent_path());
    {
      detail::Database db(options.path, std::chrono::milliseconds(1000));
      db.exec(mark, "test setup");
    }
    ASSERT_GT(fs::file_size(options.path), 0u) << mark;
    expect_refused_and_untouched(options, "another program");
    EXPECT_FALSE(fs::exists(options.path.string() + ".key")) << "no key is made for a file that is not ours";
  }
}

TEST(SqliteTokenStore, AZeroByteStoreIsRefusedSayingTheGrantsAreGone) {
  TempDir dir;
  const auto options = options_in(dir);
  open_sqlite_token_store(options)->save_tokens(kKey, tokens("a", "r"));
  for (const auto& entry : fs::directory_iterator(options.path.parent_path())) {
    if (entry.path() != options.path && entry.path().string() != options.path.string() + ".key")
      fs::remove(entry.path());  // -wal, -shm
  }
  fs::resize_file(options.path, 0);
  expect_refused_and_untouched(options, "the grants it held are gone");
  try {
    open_sqlite_token_store(options);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("to start afresh, delete it"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(options.path), 0u) << "not silently recreated";
}

TEST(SqliteTokenStore, ANewStoreIsMarkedAsMcpauths) {
  TempDir dir;
  const auto options = options_in(dir);
  open_sqlite_token_store(options);
  detail::Database db(options.path, std::chrono::milliseconds(1000));
  detail::Statement id(db, "PRAGMA application_id");
  ASSERT_TRUE(id.step());
  EXPECT_EQ(id.integer(0), detail::kApplicationId);
}

TEST(SqliteTokenStore, AStoreFromANewerMcpauthIsRefusedAndKept) {
  TempDir dir;
  const auto options = options_in(dir);
  open_sqlite_token_store(options);
  {
    detail::Database db(options.path, std::chrono::milliseconds(1000));
    detail::write_meta(db, "schema_version", std::to_string(detail::kSchemaVersion + 1));
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)", "test setup");
  }
  expect_refused_and_untouched(options, "newer mcpauth");
}

// A damaged key check (not even hex) is the store's Error, never an
// exception of the standard library, and the file is kept as it was.
TEST(SqliteTokenStore, ADamagedKeyCheckIsRefusedAndKept) {
  TempDir dir;
  const auto options = options_in(dir);
  open_sqlite_token_store(options);
  {
    detail::Database db(options.path, std::chrono::milliseconds(1000));
    detail::write_meta(db, "key_check", "zz-not-hex");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)", "test setup");
  }
  expect_refused_and_untouched(options, "cannot be opened with the key");
}

// A store as schema 1 wrote it (no discovery, no flows, no updated_at),
// with a token row sealed the way schema 1 sealed it.
TEST(SqliteTokenStore, ASchemaOneStoreOpensAndMigratesKeepingItsTokens) {
  TempDir dir;
  auto options = options_in(dir);
  const detail::Key key = detail::random_key();
  options.key = detail::encode_key(key);
  fs::create_directories(options.path.parent_path());
  {
    detail::Database db(options.path, std::chrono::milliseconds(1000));
    detail::Transaction transaction(db);
    detail::migrate(db, 0, 1);
    const std::string check = detail::seal(key, "mcpauth store key check", "meta\nkey_check");
    std::string hex;
    for (unsigned char c : check) {
      static constexpr char kDigits[] = "0123456789abcdef";
      hex += kDigits[c >> 4];
      hex += kDigits[c & 15];
    }
    detail::write_meta(db, "key_check", hex);
    detail::Statement insert(db,
                             "INSERT INTO tokens (resource, issuer, client_id, account, token_type, expires_at, scope, "
                             "secrets) VALUES (?, ?, ?, ?, 'Bearer', NULL, 'mcp', ?)");
    const std::string context = "tokens\n" + kKey.resource + "\n" + kKey.issuer + "\n" + kKey.client_id + "\n";
    insert.bind(1, kKey.resource).bind(2, kKey.issuer).bind(3, kKey.client_id).bind(4, kKey.account);
    insert.bind_blob(5, detail::seal(key, R"({"access_token":"old-access","refresh_token":"old-refresh"})", context));
    insert.run();
    transaction.commit();
  }
  auto store = open_sqlite_token_store(options);
  const auto loaded = store->load_tokens(kKey);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, "old-access");
  EXPECT_EQ(loaded->refresh_token, "old-refresh");
  EXPECT_EQ(loaded->scope, "mcp");
  EXPECT_FALSE(loaded->expires_at);
  DiscoveryRecord record;
  record.server_url = "https://mcp.example.com/mcp";
  record.issuer = kKey.issuer;
  store->save_discovery(record);  // a schema 2 table
  EXPECT_TRUE(store->load_discovery(record.server_url));
  const auto users = user_directory(store);  // a schema 5 table
  ASSERT_TRUE(users);
  EXPECT_TRUE(users->add_user("alice", false, hash_api_key(new_api_key())));
  EXPECT_EQ(users->list_users().size(), 1u);
  detail::Database db(options.path, std::chrono::milliseconds(1000));
  EXPECT_EQ(detail::read_meta(db, "schema_version"), std::to_string(sqlite_store_schema_version()));
}

// Two store instances on one file behave like two processes: every
// read-modify-write below runs under the per-grant lock, so no increment is lost.
TEST(SqliteTokenStore, UpdatesOfOneGrantAreSerializedAcrossStoreInstances) {
  TempDir dir;
  const auto options = options_in(dir);
  auto first = open_sqlite_token_store(options);
  auto second = open_sqlite_token_store(options);
  first->save_tokens(kKey, tokens("0", "r"));
  constexpr int kThreads = 8;
  constexpr int kUpdates = 25;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& store = t % 2 == 0 ? first : second;
      for (int i = 0; i < kUpdates; ++i) {
        store->update_tokens(kKey, [&](const std::optional<TokenSet>& current) {
          if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
          TokenSet next = *current;
          next.access_token = std::to_string(std::stoi(current->access_token) + 1);
          inside.fetch_sub(1);
          return TokenDecision::replace(next);
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(second->load_tokens(kKey)->access_token, std::to_string(kThreads * kUpdates));
}

TEST(SqliteTokenStore, AnUpdateThatThrowsLeavesTheGrantAsItWas) {
  TempDir dir;
  auto store = open_sqlite_token_store(options_in(dir));
  store->save_tokens(kKey, tokens("a", "r"));
  EXPECT_THROW(store->update_tokens(kKey,
                                    [](const std::optional<TokenSet>&) -> TokenDecision {
                                      throw Error(ErrorCode::timeout, "token endpoint timed out");
                                    }),
               Error);
  EXPECT_EQ(store->load_tokens(kKey)->access_token, "a");
  EXPECT_FALSE(store->update_tokens(kKey, [](const auto&) { return TokenDecision::remove(); }));
  EXPECT_FALSE(store->load_tokens(kKey));
}

// Flow claims: two stores on one file, as two processes would have.
class SqliteFlowClaims : public ::testing::Test {
 protected:
  TempDir dir;
  SqliteStoreOptions options = options_in(dir);
  std::shared_ptr<TokenStore> mine = open_sqlite_token_store(options);
  std::shared_ptr<TokenStore> other = open_sqlite_token_store(options);
};

TEST_F(SqliteFlowClaims, AClaimExcludesOthersUntilReleasedOrItsProcessIsGone) {
  EXPECT_TRUE(mine->claim_flow("grant", std::chrono::seconds(60)));
  EXPECT_FALSE(other->claim_flow("grant", std::chrono::seconds(60)));
  EXPECT_TRUE(other->flow_claimed("grant"));
  EXPECT_TRUE(other->claim_flow("another grant", std::chrono::seconds(60)));
  mine->release_flow("grant");
  EXPECT_FALSE(other->flow_claimed("grant"));
  EXPECT_TRUE(other->claim_flow("grant", std::chrono::seconds(60)));
  other->release_flow("grant");

  // A claim left by a process that has exited does not hold anyone up.
  ASSERT_EQ(test_platform::run_in_child_process([this] {
              auto store = open_sqlite_token_store(options);
              return store->claim_flow("grant", std::chrono::seconds(600)) ? 0 : 1;
            }),
            0);
  EXPECT_FALSE(mine->flow_claimed("grant"));
  EXPECT_TRUE(mine->claim_flow("grant", std::chrono::seconds(60)));
}

// Pids are reused: a claim whose pid now belongs to a process that started at
// another time (here: this process, with the claim's start time changed) is
// not that process's, and holds nobody up; with the right start time it does.
TEST_F(SqliteFlowClaims, AClaimOfAReusedPidDoesNotHold) {
  ASSERT_TRUE(mine->claim_flow("grant", std::chrono::seconds(60)));
  long long started = 0;
  {
    detail::Database db(options.path, std::chrono::milliseconds(1000));
    detail::Statement read(db, "SELECT started FROM flows WHERE flow_key = 'grant'");
    ASSERT_TRUE(read.step());
    started = read.integer(0);
    ASSERT_NE(started, 0) << "this process's start time was not recorded";
  }
  EXPECT_TRUE(other->flow_claimed("grant"));
  {
    detail::Database db(options.path, std::chrono::milliseconds(1000));
    db.exec("UPDATE flows SET started = started + 1", "test setup");
  }
  EXPECT_FALSE(other->flow_claimed("grant"));
  EXPECT_TRUE(other->claim_flow("grant", std::chrono::seconds(60)));
}

TEST(SqliteTokenStore, DefaultLocationFollowsXdgAndOverrides) {
  const auto env = [](std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  };
  EXPECT_EQ(default_sqlite_store_options(env({{"HOME", "/home/u"}})).path, "/home/u/.local/share/mcpauth/tokens.db");
  EXPECT_EQ(default_sqlite_store_options(env({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "/data"}})).path,
            "/data/mcpauth/tokens.db");
  EXPECT_EQ(default_sqlite_store_options(env({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "relative"}})).path,
            "/home/u/.local/share/mcpauth/tokens.db")
      << "XDG: a relative XDG_DATA_HOME is ignored";
  const auto explicit_store = default_sqlite_store_options(env({{"MCPAUTH_STORE", "/x/t.db"}, {"MCPAUTH_KEY", "k"}}));
  EXPECT_EQ(explicit_store.path, "/x/t.db");
  EXPECT_EQ(explicit_store.key, "k");
  EXPECT_THROW(default_sqlite_store_options(env({})), Error);
}

TEST(SqliteTokenStore, GrantsOfOneServerAreListedByResourceIssuerAndAccount) {
  TempDir dir;
  auto store = open_sqlite_token_store(options_in(dir));
  testing::expect_grants_of_filters(*store);
}

}  // namespace

}  // namespace mcpauth::store

// Key rotation of the SQLite token store (key_rotation.hpp) on real files:
// rows sealed under key A, rotated to B, read with B alone; A refused once
// retired; a half-finished rotation read with B+A and finished by running
// it again; a row no key opens reported by kind and id and left as it was;
// refreshes racing rotations losing nothing; no secret and no key in clear.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "../../src/store/cipher.hpp"
#include "../../src/store/sqlite.hpp"
#include "error_of.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::store {
namespace {

using core::oauth::TokenSet;
using testing::content_of;
using testing::error_of;

const std::string kA = detail::encode_key(detail::random_key());
const std::string kB = detail::encode_key(detail::random_key());

TokenKey grant(const std::string& account) {
  return TokenKey{"https://mcp.example.com/mcp", "https://as.example.com", "client-1", account};
}

TokenSet tokens(const std::string& access) {
  TokenSet t;
  t.access_token = access;
  t.refresh_token = "refresh-of-" + access;
  return t;
}

class SqliteKeyRotation : public testing::ScratchDirTest {
 protected:
  std::shared_ptr<TokenStore> open(const std::string& key, std::optional<std::string> previous = std::nullopt) const {
    SqliteStoreOptions options;
    options.path = dir_ / "tokens.db";
    options.use_keyring = false;
    options.key = key;
    options.previous_keys = std::move(previous);
    return open_sqlite_token_store(options);
  }

  static KeyRotation& rotation(const std::shared_ptr<TokenStore>& store) {
    KeyRotation* r = key_rotation(*store);
    if (!r) throw std::logic_error("the SQLite store implements KeyRotation");
    return *r;
  }

  static KeyRotationReport rotate(const std::shared_ptr<TokenStore>& store, std::optional<std::string> to) {
    KeyRotationOptions options;
    options.new_key = std::move(to);
    options.new_key_source = "the test's new key";
    options.batch_size = 2;  // several batches
    return rotation(store).rotate_key(options);
  }

  void save_rows(TokenStore& store, std::initializer_list<const char*> accounts) const {
    for (const char* account : accounts) store.save_tokens(grant(account), tokens(std::string("access-") + account));
  }

  void expect_reads(TokenStore& store, std::initializer_list<const char*> accounts) const {
    for (const char* account : accounts) {
      const auto loaded = store.load_tokens(grant(account));
      ASSERT_TRUE(loaded) << account;
      EXPECT_EQ(loaded->access_token, std::string("access-") + account);
      EXPECT_EQ(loaded->refresh_token, std::string("refresh-of-access-") + account);
    }
  }

  std::string database_bytes() const { return content_of(dir_ / "tokens.db") + content_of(dir_ / "tokens.db-wal"); }
};

TEST_F(SqliteKeyRotation, AfterARotationTheNewKeyAloneReadsEverythingAndTheRetiredKeyIsRefused) {
  {
    auto store = open(kA);
    save_rows(*store, {"", "one", "two"});
    core::oauth::ClientRegistration client;
    client.issuer = "https://as.example.com";
    client.client_id = "client-1";
    client.client_secret = "client-secret-in-clear";
    store->save_client(client);

    const KeyRotationReport report = rotate(store, kB);
    EXPECT_EQ(report.resealed, 4u);  // three grants and the client
    EXPECT_EQ(report.already_current, 0u);
    EXPECT_TRUE(report.unreadable.empty());
    EXPECT_EQ(report.current_key_id, detail::key_id(detail::parse_key(kB, "B")));
    EXPECT_EQ(report.rows_by_key, (std::map<std::string, std::size_t>{{report.current_key_id, 4}}));
    EXPECT_EQ(report.recorded_keys.size(), 2u);
    EXPECT_EQ(report.rows_under_other_keys(), 0u);
    // The rotating instance itself seals under the new key from then on.
    save_rows(*store, {"three"});
  }
  auto with_b = open(kB);
  expect_reads(*with_b, {"", "one", "two", "three"});
  EXPECT_EQ(with_b->load_client("https://as.example.com")->client_secret, "client-secret-in-clear");
  EXPECT_EQ(rotate(with_b, std::nullopt).already_current, 5u) << "a second run changes nothing";

  const KeyRotationReport retired = rotation(with_b).retire_keys();
  EXPECT_EQ(retired.retired.size(), 1u);
  EXPECT_EQ(retired.recorded_keys, std::vector<std::string>{retired.current_key_id});
  const Error refused = error_of([&] { open(kA); });
  EXPECT_EQ(refused.code(), ErrorCode::store);
  EXPECT_NE(std::string(refused.what()).find("cannot be opened with the key from MCPAUTH_KEY"), std::string::npos);
  // Nor as the current key beside the right one as a retired key.
  EXPECT_EQ(error_of([&] { open(kA, kB); }).code(), ErrorCode::store);

  with_b.reset();
  const std::string bytes = database_bytes();
  for (const std::string& clear :
       {std::string("access-one"), std::string("refresh-of-access"), std::string("client-secret-in-clear"), kA, kB}) {
    EXPECT_EQ(bytes.find(clear), std::string::npos) << "in clear in the database: " << clear.substr(0, 12);
  }
}

TEST_F(SqliteKeyRotation, AHalfFinishedRotationReadsWithBothKeysAndRunningItAgainFinishesIt) {
  {
    auto store = open(kA);
    save_rows(*store, {"one", "two"});
    rotate(store, kB);
  }
  // An instance still sealing under A (given B to read) writes a row meanwhile.
  open(kA, kB)->save_tokens(grant("late"), tokens("access-late"));

  auto both = open(kB, kA);
  expect_reads(*both, {"one", "two", "late"});
  const std::string a_id = detail::key_id(detail::parse_key(kA, "A"));
  const KeyRotationReport status = rotation(both).key_status();
  EXPECT_EQ(status.rows_by_key.at(a_id), 1u);
  EXPECT_EQ(status.rows_under_other_keys(), 1u);
  // B alone cannot read that row yet.
  EXPECT_EQ(error_of([&] { open(kB)->load_tokens(grant("late")); }).code(), ErrorCode::store);
  // Retiring now would strand it: refused, nothing removed.
  EXPECT_TRUE(rotation(both).retire_keys().retired.empty());
  EXPECT_NO_THROW(open(kA));

  const KeyRotationReport finished = rotate(both, std::nullopt);
  EXPECT_EQ(finished.resealed, 1u);
  EXPECT_EQ(finished.already_current, 2u);
  EXPECT_EQ(finished.rows_under_other_keys(), 0u);
  expect_reads(*open(kB), {"one", "two", "late"});
}

TEST_F(SqliteKeyRotation, ARowNoKeyOpensIsReportedByKindAndIdAndLeftAsItWas) {
  auto store = open(kA);
  save_rows(*store, {"one", "damaged"});
  const auto damaged_value = [&] {
    detail::Database db(dir_ / "tokens.db", std::chrono::milliseconds(1000));
    detail::Statement s(db, "SELECT secrets FROM tokens WHERE account = 'damaged'");
    return s.step() ? s.blob(0) : std::string();
  };
  {
    detail::Database db(dir_ / "tokens.db", std::chrono::milliseconds(1000));
    db.exec("UPDATE tokens SET secrets = randomblob(64) WHERE account = 'damaged'", "test setup");
  }
  const std::string before = damaged_value();
  const KeyRotationReport report = rotate(store, kB);
  EXPECT_EQ(report.resealed, 1u);
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].kind, "grant");
  EXPECT_NE(report.unreadable[0].id.find("(account damaged)"), std::string::npos) << report.unreadable[0].id;
  EXPECT_EQ(damaged_value(), before);
  EXPECT_EQ(rotation(store).key_status().unreadable.size(), 1u);
  EXPECT_TRUE(rotation(store).retire_keys().retired.empty());
}

// Refreshes (update_tokens increments, on their own store instance and
// connections) while another instance rotates back and forth: every
// increment survives. Each rotation re-seals the counter row inside its
// write transaction, the lock update_tokens takes.
TEST_F(SqliteKeyRotation, RefreshesRacingRotationsLoseNothing) {
  constexpr int kThreads = 3, kIncrements = 30;
  const TokenKey counter = grant("counter");
  open(kA)->save_tokens(counter, tokens("0"));
  auto rotator = open(kA);
  rotate(rotator, kB);
  auto refresher = open(kA, kB);  // reads rows under either key
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        refresher->update_tokens(counter, [](const std::optional<TokenSet>& current) {
          return TokenDecision::replace(tokens(std::to_string(std::stoi(current->access_token) + 1)));
        });
      }
      ++finished;
    });
  }
  // Rotations until every refresh is done (however many that takes).
  for (int rotations = 0; finished < kThreads; ++rotations) rotate(rotator, rotations % 2 == 0 ? kA : kB);
  for (auto& thread : threads) thread.join();
  const auto loaded = open(kA, kB)->load_tokens(counter);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, std::to_string(kThreads * kIncrements));
}

}  // namespace
}  // namespace mcpauth::store

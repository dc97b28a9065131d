// Key rotation of the PostgreSQL token store (key_rotation.hpp) against a
// real PostgreSQL 15 started by the test (postgres_fixture.hpp): rows sealed
// under key A, rotated to B, read with B alone, A refused once retired; a
// half-finished rotation read with B+A and finished by running it again; a
// row no key of the set opens reported and left as it was; a rotation that
// meets a refresh in progress waits for the grant's lock and seals what the
// refresh wrote; refreshes racing rotations lose nothing; nothing in clear.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "../unit/error_of.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

using core::oauth::TokenSet;
using store::KeyRotation;
using store::KeyRotationOptions;
using store::KeyRotationReport;
using store::TokenDecision;
using store::TokenKey;
using testing::error_of;

const std::string kA = store::new_store_key();
const std::string kB = store::new_store_key();

TokenKey grant(const std::string& account) {
  return TokenKey{"https://mcp.example/mcp", "https://as.example", "client-1", account};
}

TokenSet tokens(const std::string& access) {
  TokenSet t;
  t.access_token = access;
  t.refresh_token = "refresh-of-" + access;
  return t;
}

KeyRotation& rotation(const std::shared_ptr<store::TokenStore>& s) {
  KeyRotation* r = store::key_rotation(*s);
  if (!r) throw std::logic_error("the PostgreSQL store implements KeyRotation");
  return *r;
}

KeyRotationReport rotate(const std::shared_ptr<store::TokenStore>& s, std::optional<std::string> to) {
  KeyRotationOptions options;
  options.new_key = std::move(to);
  options.new_key_source = "the test's new key";
  options.batch_size = 2;  // several batches
  return rotation(s).rotate_key(options);
}

class PostgresKeyRotation : public ::testing::Test {
 protected:
  std::shared_ptr<store::TokenStore> open(const std::string& key,
                                          std::optional<std::string> previous = std::nullopt) const {
    store::PostgresStoreOptions options;
    options.url = url;
    options.key = key;
    options.previous_keys = std::move(previous);
    return store::open_postgres_token_store(options);
  }

  void expect_reads(store::TokenStore& s, std::initializer_list<const char*> accounts) const {
    for (const char* account : accounts) {
      const auto loaded = s.load_tokens(grant(account));
      ASSERT_TRUE(loaded) << account;
      EXPECT_EQ(loaded->access_token, std::string("access-") + account);
      EXPECT_EQ(loaded->refresh_token, std::string("refresh-of-access-") + account);
    }
  }

  std::string sql(const std::string& statement) const { return server.psql("store", statement); }

  testing::PostgresServer server;
  std::string url = server.create_database("store");
};

TEST_F(PostgresKeyRotation, AfterARotationTheNewKeyAloneReadsEverythingAndTheRetiredKeyIsRefused) {
  {
    auto s = open(kA);
    for (const char* account : {"", "one", "two"})
      s->save_tokens(grant(account), tokens(std::string("access-") + account));
    core::oauth::ClientRegistration client;
    client.issuer = "https://as.example";
    client.client_id = "client-1";
    client.client_secret = "client-secret-in-clear";
    s->save_client(client);
    const KeyRotationReport report = rotate(s, kB);
    EXPECT_EQ(report.resealed, 4u);
    EXPECT_TRUE(report.unreadable.empty());
    EXPECT_EQ(report.rows_by_key, (std::map<std::string, std::size_t>{{report.current_key_id, 4}}));
    EXPECT_EQ(report.recorded_keys.size(), 2u);
    EXPECT_EQ(sql("SELECT DISTINCT key_id FROM mcpauth_tokens UNION SELECT key_id FROM mcpauth_clients"),
              report.current_key_id + "\n");
  }
  auto with_b = open(kB);
  expect_reads(*with_b, {"", "one", "two"});
  EXPECT_EQ(with_b->load_client("https://as.example")->client_secret, "client-secret-in-clear");
  EXPECT_EQ(rotate(with_b, std::nullopt).already_current, 4u) << "a second run changes nothing";

  const KeyRotationReport retired = rotation(with_b).retire_keys();
  EXPECT_EQ(retired.retired.size(), 1u);
  EXPECT_EQ(sql("SELECT key_id FROM mcpauth_keys"), retired.current_key_id + "\n");
  const Error refused = error_of([&] { open(kA); });
  EXPECT_EQ(refused.code(), ErrorCode::store);
  EXPECT_NE(std::string(refused.what()).find("another key"), std::string::npos) << refused.what();

  const std::string dump = sql("SELECT t::text FROM mcpauth_tokens t") + sql("SELECT c::text FROM mcpauth_clients c") +
                           sql("SELECT k::text FROM mcpauth_keys k") +
                           sql("SELECT encode(secrets, 'escape') FROM mcpauth_tokens");
  for (const std::string& clear :
       {std::string("access-one"), std::string("refresh-of-access"), std::string("client-secret-in-clear"), kA, kB}) {
    EXPECT_EQ(dump.find(clear), std::string::npos) << "in clear in the database: " << clear.substr(0, 12);
  }
}

TEST_F(PostgresKeyRotation, AHalfFinishedRotationReadsWithBothKeysAndRunningItAgainFinishesIt) {
  {
    auto s = open(kA);
    for (const char* account : {"one", "two"}) s->save_tokens(grant(account), tokens(std::string("access-") + account));
    rotate(s, kB);
  }
  // An instance still sealing under A (given B to read) writes a row meanwhile.
  open(kA, kB)->save_tokens(grant("late"), tokens("access-late"));

  auto both = open(kB, kA);
  expect_reads(*both, {"one", "two", "late"});
  const KeyRotationReport status = rotation(both).key_status();
  EXPECT_EQ(status.rows_under_other_keys(), 1u);
  const Error missing = error_of([&] { open(kB)->load_tokens(grant("late")); });
  EXPECT_EQ(missing.code(), ErrorCode::store);
  EXPECT_TRUE(rotation(both).retire_keys().retired.empty()) << "retiring would strand the late row";
  EXPECT_NO_THROW(open(kA));

  const KeyRotationReport finished = rotate(both, std::nullopt);
  EXPECT_EQ(finished.resealed, 1u);
  EXPECT_EQ(finished.already_current, 2u);
  EXPECT_EQ(finished.rows_under_other_keys(), 0u);
  expect_reads(*open(kB), {"one", "two", "late"});
}

TEST_F(PostgresKeyRotation, ARowNoKeyOfTheSetOpensIsReportedAndLeftAsItWas) {
  auto s = open(kA);
  s->save_tokens(grant("one"), tokens("access-one"));
  s->save_tokens(grant("foreign"), tokens("access-foreign"));
  sql("UPDATE mcpauth_tokens SET key_id = '00000000000000aa' WHERE account = 'foreign'");
  const std::string before = sql("SELECT encode(secrets, 'hex') FROM mcpauth_tokens WHERE account = 'foreign'");
  const KeyRotationReport report = rotate(s, kB);
  EXPECT_EQ(report.resealed, 1u);
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].kind, "grant");
  EXPECT_NE(report.unreadable[0].id.find("(account foreign)"), std::string::npos) << report.unreadable[0].id;
  EXPECT_EQ(sql("SELECT encode(secrets, 'hex') FROM mcpauth_tokens WHERE account = 'foreign'"), before);
  EXPECT_EQ(sql("SELECT key_id FROM mcpauth_tokens WHERE account = 'foreign'"), "00000000000000aa\n");
  EXPECT_EQ(report.rows_by_key.at("00000000000000aa"), 1u);
}

// A refresh holds the grant (update_tokens: its advisory lock and the row
// FOR UPDATE) while the rotation reaches that row. The rotation must wait
// and then seal what the refresh committed: a rotation that read the row
// without the grant's lock would write the old tokens back over the
// refreshed ones (it would still block, on the row, at its UPDATE, which
// is what this test waits to see in pg_stat_activity before letting the
// refresh commit).
TEST_F(PostgresKeyRotation, ARotationWaitsForARefreshInProgressAndSealsWhatItCommitted) {
  open(kA)->save_tokens(grant("busy"), tokens("access-old"));
  auto refresher = open(kA, kB);
  auto rotator = open(kA);
  std::promise<void> inside, release;
  std::thread refresh([&] {
    refresher->update_tokens(grant("busy"), [&](const std::optional<TokenSet>&) {
      inside.set_value();
      release.get_future().wait();
      return TokenDecision::replace(tokens("access-new"));
    });
  });
  inside.get_future().wait();
  std::future<KeyRotationReport> rotated = std::async(std::launch::async, [&] { return rotate(rotator, kB); });
  // Polls the server's own view (no sleep): some backend of this database waits for a lock.
  bool waiting = false;
  for (int attempt = 0; attempt < 3000 && !waiting; ++attempt) {
    waiting =
        sql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'store' AND wait_event_type = 'Lock'") != "0\n";
  }
  release.set_value();
  refresh.join();
  ASSERT_TRUE(waiting) << "the rotation never waited for the refresh's lock";
  const KeyRotationReport report = rotated.get();
  EXPECT_EQ(report.resealed, 1u);
  const auto loaded = open(kB)->load_tokens(grant("busy"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, "access-new") << "the rotation wrote back what it read before the refresh";
  EXPECT_EQ(loaded->refresh_token, "refresh-of-access-new");
}

// Refreshes (update_tokens increments on their own instance) while another
// instance rotates back and forth until they are done: none is lost.
TEST_F(PostgresKeyRotation, RefreshesRacingRotationsLoseNothing) {
  constexpr int kThreads = 3, kIncrements = 30;
  const TokenKey counter = grant("counter");
  open(kA)->save_tokens(counter, tokens("0"));
  auto rotator = open(kA);
  rotate(rotator, kB);
  auto refresher = open(kA, kB);
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
  for (int rotations = 0; finished < kThreads; ++rotations) rotate(rotator, rotations % 2 == 0 ? kA : kB);
  for (auto& thread : threads) thread.join();
  const auto loaded = open(kA, kB)->load_tokens(counter);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, std::to_string(kThreads * kIncrements));
}

}  // namespace
}  // namespace mcpauth

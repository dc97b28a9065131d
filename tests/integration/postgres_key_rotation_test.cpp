// Key rotation of the PostgreSQL token store (key_rotation.hpp) against a
// real PostgreSQL 15 started by the test (postgres_fixture.hpp): rows sealed
// under key A, rotated to B, read with B alone, A refused once retired; a
// half-finished rotation read with B+A and finished by running it again; a
// row no key of the set opens reported and left as it was; a rotation that
// meets a refresh in progress waits for the grant's lock and seals what the
// refresh wrote; refreshes racing rotations lose nothing; nothing in clear.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "../unit/error_of.hpp"
#include "../unit/key_rotation_checks.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

using core::oauth::TokenSet;
using store::KeyRotationReport;
using store::TokenDecision;
using testing::error_of;
using testing::rotation_grant;
using testing::rotation_tokens;

const std::string kA = store::new_store_key();
const std::string kB = store::new_store_key();

class PostgresKeyRotation : public ::testing::Test {
 protected:
  testing::OpenWithKeys opener() const {
    return [url = url](const std::string& key, std::optional<std::string> previous) {
      store::PostgresStoreOptions options;
      options.url = url;
      options.key = key;
      options.previous_keys = std::move(previous);
      return store::open_postgres_token_store(options);
    };
  }
  std::shared_ptr<store::TokenStore> open(const std::string& key,
                                          std::optional<std::string> previous = std::nullopt) const {
    return opener()(key, std::move(previous));
  }

  std::string sql(const std::string& statement) const { return server.psql("store", statement); }

  testing::PostgresServer server;
  std::string url = server.create_database("store");
};

TEST_F(PostgresKeyRotation, AfterARotationTheNewKeyAloneReadsEverythingAndTheRetiredKeyIsRefused) {
  testing::check_rotation_then_retire(opener(), kA, kB);
  const std::string b_id = sql("SELECT key_id FROM mcpauth_keys");
  EXPECT_EQ(sql("SELECT DISTINCT key_id FROM mcpauth_tokens UNION SELECT key_id FROM mcpauth_clients"), b_id);
  const std::string dump = sql("SELECT t::text FROM mcpauth_tokens t") + sql("SELECT c::text FROM mcpauth_clients c") +
                           sql("SELECT k::text FROM mcpauth_keys k") +
                           sql("SELECT encode(secrets, 'escape') FROM mcpauth_tokens");
  for (const std::string& clear :
       {std::string("access-one"), std::string("refresh-of-access"), std::string("client-secret-in-clear"), kA, kB}) {
    EXPECT_EQ(dump.find(clear), std::string::npos) << "in clear in the database: " << clear.substr(0, 12);
  }
}

TEST_F(PostgresKeyRotation, AHalfFinishedRotationReadsWithBothKeysAndRunningItAgainFinishesIt) {
  testing::check_half_finished_rotation(opener(), kA, kB);
}

TEST_F(PostgresKeyRotation, ARowNoKeyOfTheSetOpensIsReportedAndLeftAsItWas) {
  auto s = open(kA);
  s->save_tokens(rotation_grant("one"), rotation_tokens("access-one"));
  s->save_tokens(rotation_grant("foreign"), rotation_tokens("access-foreign"));
  sql("UPDATE mcpauth_tokens SET key_id = '00000000000000aa' WHERE account = 'foreign'");
  const std::string before = sql("SELECT encode(secrets, 'hex') FROM mcpauth_tokens WHERE account = 'foreign'");
  const KeyRotationReport report = testing::rotate_store(s, kB);
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
  open(kA)->save_tokens(rotation_grant("busy"), rotation_tokens("access-old"));
  auto refresher = open(kA, kB);
  auto rotator = open(kA);
  std::promise<void> inside, release;
  std::thread refresh([&] {
    refresher->update_tokens(rotation_grant("busy"), [&](const std::optional<TokenSet>&) {
      inside.set_value();
      release.get_future().wait();
      return TokenDecision::replace(rotation_tokens("access-new"));
    });
  });
  inside.get_future().wait();
  std::future<KeyRotationReport> rotated =
      std::async(std::launch::async, [&] { return testing::rotate_store(rotator, kB); });
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
  const auto loaded = open(kB)->load_tokens(rotation_grant("busy"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, "access-new") << "the rotation wrote back what it read before the refresh";
  EXPECT_EQ(loaded->refresh_token, "refresh-of-access-new");
}

TEST_F(PostgresKeyRotation, RefreshesRacingRotationsLoseNothing) {
  testing::check_refreshes_racing_rotations(opener(), kA, kB);
}

}  // namespace
}  // namespace mcpauth

// Key rotation of the SQLite token store (key_rotation.hpp) on real files:
// rows sealed under key A, rotated to B, read with B alone; A refused once
// retired; a half-finished rotation read with B+A and finished by running
// it again; a row no key opens reported by kind and id and left as it was;
// refreshes racing rotations losing nothing; no secret and no key in clear.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../src/store/cipher.hpp"
#include "../../src/store/sqlite.hpp"
#include "key_rotation_checks.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::store {
namespace {

using testing::content_of;
using testing::rotation_grant;

const std::string kA = new_store_key();
const std::string kB = new_store_key();

class SqliteKeyRotation : public testing::ScratchDirTest {
 protected:
  testing::OpenWithKeys opener() const {
    return [path = dir_ / "tokens.db"](const std::string& key, std::optional<std::string> previous) {
      SqliteStoreOptions options;
      options.path = path;
      options.use_keyring = false;
      options.key = key;
      options.previous_keys = std::move(previous);
      return open_sqlite_token_store(options);
    };
  }
};

TEST_F(SqliteKeyRotation, AfterARotationTheNewKeyAloneReadsEverythingAndTheRetiredKeyIsRefused) {
  testing::check_rotation_then_retire(opener(), kA, kB);
  const std::string bytes = content_of(dir_ / "tokens.db") + content_of(dir_ / "tokens.db-wal");
  for (const std::string& clear :
       {std::string("access-one"), std::string("refresh-of-access"), std::string("client-secret-in-clear"), kA, kB}) {
    EXPECT_EQ(bytes.find(clear), std::string::npos) << "in clear in the database: " << clear.substr(0, 12);
  }
}

TEST_F(SqliteKeyRotation, AHalfFinishedRotationReadsWithBothKeysAndRunningItAgainFinishesIt) {
  testing::check_half_finished_rotation(opener(), kA, kB);
}

TEST_F(SqliteKeyRotation, ARowNoKeyOpensIsReportedByKindAndIdAndLeftAsItWas) {
  auto store = opener()(kA, std::nullopt);
  testing::save_rotation_rows(*store, {"one", "damaged"});
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
  const KeyRotationReport report = testing::rotate_store(store, kB);
  EXPECT_EQ(report.resealed, 1u);
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].kind, "grant");
  EXPECT_NE(report.unreadable[0].id.find("(account damaged)"), std::string::npos) << report.unreadable[0].id;
  EXPECT_EQ(damaged_value(), before);
  EXPECT_EQ(testing::rotation_of(store).key_status().unreadable.size(), 1u);
  EXPECT_TRUE(testing::rotation_of(store).retire_keys().retired.empty());
}

// The write transaction is the lock (no test can show SQLite waiting for it,
// unlike PostgreSQL's pg_stat_activity): this one only shows nothing lost.
TEST_F(SqliteKeyRotation, RefreshesRacingRotationsLoseNothing) {
  testing::check_refreshes_racing_rotations(opener(), kA, kB);
}

}  // namespace
}  // namespace mcpauth::store

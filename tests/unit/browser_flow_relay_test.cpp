// The browser-flow relay of the SQLite store (browser_flow_checks.hpp: the
// scenarios the PostgreSQL store passes too): two store objects on one file
// play the instance that started a flow and the one its callback reached.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../src/store/sqlite.hpp"
#include "browser_flow_checks.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/files.hpp"

namespace mcpauth::store {
namespace {

namespace fs = std::filesystem;

constexpr int kColumns = 17;  // of browser_flows

struct RelayTempDir {
  fs::path path = test_platform::make_temp_dir("mcpauth-flows");
  ~RelayTempDir() { fs::remove_all(path); }
};

class BrowserFlowRelaySqlite : public ::testing::Test {
 protected:
  SqliteStoreOptions options() const {
    SqliteStoreOptions o;
    o.path = dir_.path / "tokens.db";
    o.use_keyring = false;
    return o;
  }

  // The table, through a connection of the test's own.
  void exec(const char* sql) {
    detail::Database db(options().path, std::chrono::seconds(10));
    db.exec(sql, "changing the test's rows");
  }
  long count() {
    detail::Database db(options().path, std::chrono::seconds(10));
    detail::Statement s(db, "SELECT count(*) FROM browser_flows");
    s.step();
    return static_cast<long>(s.integer(0));
  }
  std::string dump() {
    detail::Database db(options().path, std::chrono::seconds(10));
    detail::Statement s(db, "SELECT * FROM browser_flows");
    std::string out;
    while (s.step()) {
      for (int column = 0; column < kColumns; ++column) {
        if (!s.is_null(column)) out += s.blob(column) + "|";
      }
      out += "\n";
    }
    return out;
  }

  RelayTempDir dir_;  // first: removed after the stores closed
  std::shared_ptr<TokenStore> owner_ = open_sqlite_token_store(options());
  std::shared_ptr<TokenStore> other_ = open_sqlite_token_store(options());
  testing::BrowserFlowTable table_{[this] { exec("UPDATE browser_flows SET expires_at = 0"); },
                                   [this] { exec("UPDATE browser_flows SET seen_at = 0"); }, [this] { return count(); },
                                   [this] { return dump(); }};
};

TEST_F(BrowserFlowRelaySqlite, DeliversOnceTakesOnceAndTellsTheOutcomeOnce) {
  testing::expect_browser_flow_relayed_once(owner_, other_, table_);
}

TEST_F(BrowserFlowRelaySqlite, TellsAFailureWithItsReasonCut) {
  testing::expect_browser_flow_failure_told(owner_, other_);
}

TEST_F(BrowserFlowRelaySqlite, WithdrawnExpiredAndOwnerlessRowsLeaveNothingBehind) {
  testing::expect_browser_flow_ends_without_owner(owner_, other_, table_);
}

TEST_F(BrowserFlowRelaySqlite, BoundsRowsPerAccountAndParameters) {
  testing::expect_browser_flow_bounds(owner_, other_, table_);
}

// The other instance's process is gone (a pid no process has): told at once, without waiting for silence.
TEST_F(BrowserFlowRelaySqlite, AnOwnerWhoseProcessEndedIsGoneAtOnce) {
  auto& owner = testing::browser_flow_relay_of(owner_);
  auto& other = testing::browser_flow_relay_of(other_);
  owner.open_browser_flow(testing::browser_flow_start("dead-owner"));
  exec("UPDATE browser_flows SET owner = 'elsewhere', pid = 2147483646, started = 1");
  EXPECT_EQ(other
                .deliver_browser_flow(testing::browser_flow_hash_of("dead-owner"),
                                      testing::browser_flow_redirect("dead-owner"))
                .result,
            BrowserFlowDelivery::owner_gone);
  EXPECT_EQ(count(), 0);
}

}  // namespace
}  // namespace mcpauth::store

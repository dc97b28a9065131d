// The browser-flow relay of the PostgreSQL store, against a real PostgreSQL
// 15 of the test's own (postgres_fixture.hpp), with the scenarios the SQLite
// store passes too (unit/browser_flow_checks.hpp): two store objects on one
// database play the instance that started a flow and the one its callback
// reached; the table is aged and read with psql.
#include <gtest/gtest.h>

#include "../unit/browser_flow_checks.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

// 64 hex digits: a key of the test's own (never printed).
constexpr const char* kRelayTestKey = "3f1e0c6a9b2d4e8f7a6c5b4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f";

std::shared_ptr<store::TokenStore> open_relay_store(const std::string& url) {
  store::PostgresStoreOptions options;
  options.url = url;
  options.key = kRelayTestKey;
  return store::open_postgres_token_store(options);
}

class BrowserFlowRelayPostgres : public ::testing::Test {
 protected:
  std::string sql(const std::string& statement) { return server_.psql("flows", statement); }

  testing::PostgresServer server_;
  std::string url_ = server_.create_database("flows");
  std::shared_ptr<store::TokenStore> owner_ = open_relay_store(url_);
  std::shared_ptr<store::TokenStore> other_ = open_relay_store(url_);
  testing::BrowserFlowTable table_{
      [this] { sql("UPDATE mcpauth_browser_flows SET expires_at = now() - interval '1 second'"); },
      [this] { sql("UPDATE mcpauth_browser_flows SET seen_at = now() - interval '1 hour'"); },
      [this] { return std::stol(sql("SELECT count(*) FROM mcpauth_browser_flows")); },
      // Every column as text; the sealed parameters as their bytes (convert_from would refuse non-UTF-8: escape).
      [this] {
        return sql("SELECT f::text || encode(coalesce(fields, ''::bytea), 'escape') FROM mcpauth_browser_flows f");
      }};
};

TEST_F(BrowserFlowRelayPostgres, DeliversOnceTakesOnceAndTellsTheOutcomeOnce) {
  testing::expect_browser_flow_relayed_once(owner_, other_, table_);
}

TEST_F(BrowserFlowRelayPostgres, TellsAFailureWithItsReasonCut) {
  testing::expect_browser_flow_failure_told(owner_, other_);
}

TEST_F(BrowserFlowRelayPostgres, WithdrawnExpiredAndOwnerlessRowsLeaveNothingBehind) {
  testing::expect_browser_flow_ends_without_owner(owner_, other_, table_);
}

TEST_F(BrowserFlowRelayPostgres, BoundsRowsPerAccountAndParameters) {
  testing::expect_browser_flow_bounds(owner_, other_, table_);
}

// A row of another host is trusted until it is silent (its process cannot be asked).
TEST_F(BrowserFlowRelayPostgres, AnotherHostsOwnerIsGoneOnlyOnceSilent) {
  auto& owner = testing::browser_flow_relay_of(owner_);
  auto& other = testing::browser_flow_relay_of(other_);
  owner.open_browser_flow(testing::browser_flow_start("far-owner"));
  owner.open_browser_flow(testing::browser_flow_start("far-silent-owner"));
  sql("UPDATE mcpauth_browser_flows SET owner = 'far:1:x', host = 'far-away-host', pid = 2147483646");
  EXPECT_EQ(
      other
          .deliver_browser_flow(testing::browser_flow_hash_of("far-owner"), testing::browser_flow_redirect("far-owner"))
          .result,
      store::BrowserFlowDelivery::delivered);
  sql("UPDATE mcpauth_browser_flows SET seen_at = now() - interval '1 hour'");
  EXPECT_EQ(other
                .deliver_browser_flow(testing::browser_flow_hash_of("far-silent-owner"),
                                      testing::browser_flow_redirect("far-silent-owner"))
                .result,
            store::BrowserFlowDelivery::owner_gone);
}

}  // namespace
}  // namespace mcpauth

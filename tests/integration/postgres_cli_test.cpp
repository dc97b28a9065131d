// The mcpauth command with a PostgreSQL store (--store, MCPAUTH_STORE_URL)
// against oidc-provider (tests/peers/oidc-server.mjs) and a PostgreSQL 15 of
// the test's own: login stores the grant there (not in the SQLite file),
// status and tools of another "instance" find it, no token is in the
// database in clear, the URL's password is printed nowhere, and `users`
// keeps the gateway's users (their keys' hashes only) in the database.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "gateway_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

using testing::browser;
using testing::cli;
using testing::CommandResult;
using testing::PeerProcess;
using testing::PostgresServer;
using testing::run_command;
using testing::test_home;
namespace fs = std::filesystem;

std::string hex_of(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(PostgresCli, LoginWithAPostgresStoreIsSharedSealedAndNeverPrintsThePassword) {
  PostgresServer server;
  const std::string url = server.create_database("cli");
  PeerProcess peer("oidc-server.mjs");

  const CommandResult login = run_command(cli({"login", peer.url(), "--store", url}), {"BROWSER=" + browser()});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_FALSE(fs::exists(fs::path(test_home()) / "data" / "mcpauth" / "tokens.db")) << "the grant went to SQLite";
  const fs::path key_file = fs::path(test_home()) / "data" / "mcpauth" / "postgres.key";
  ASSERT_TRUE(fs::exists(key_file)) << "a new PostgreSQL store's key is created beside the user's data";

  // Another command (another instance) finds it through the environment, and through --store.
  const CommandResult status_env = run_command(cli({"status", "--json"}), {"MCPAUTH_STORE_URL=" + url});
  ASSERT_EQ(status_env.exit_code, 0) << status_env.err;
  const auto rows = nlohmann::json::parse(status_env.out);
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["url"], peer.url());
  EXPECT_EQ(rows[0]["state"], "authorized");
  const CommandResult status_flag = run_command(cli({"status", "--store", url}));
  ASSERT_EQ(status_flag.exit_code, 0) << status_flag.err;
  EXPECT_NE(status_flag.out.find(peer.url()), std::string::npos) << status_flag.out;
  const CommandResult tools = run_command(cli({"tools", peer.url(), "--store", url}), {"BROWSER=/bin/false"});
  ASSERT_EQ(tools.exit_code, 0) << tools.err;

  // The tokens, read back with the key file, are nowhere in the database in clear.
  store::PostgresStoreOptions options;
  options.url = url;
  options.key_file = key_file;
  const auto grants = store::open_postgres_token_store(options)->list_grants();
  ASSERT_EQ(grants.size(), 1u);
  ASSERT_FALSE(grants[0].error);
  ASSERT_TRUE(grants[0].tokens.refresh_token);
  const std::string dump = server.psql("cli", "SELECT t::text FROM mcpauth_tokens t") +
                           server.psql("cli", "SELECT c::text FROM mcpauth_clients c");
  for (const std::string& secret : {grants[0].tokens.access_token, *grants[0].tokens.refresh_token}) {
    ASSERT_GT(secret.size(), 20u);
    EXPECT_EQ(dump.find(secret), std::string::npos) << "a token in clear in the database";
    EXPECT_EQ(dump.find(hex_of(secret)), std::string::npos) << "a token's bytes in clear in the database";
  }

  // reset takes --store too: the grant and the discovery leave the shared database.
  const CommandResult reset = run_command(cli({"reset", peer.url(), "--store", url}));
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  const auto after = store::open_postgres_token_store(options);
  EXPECT_TRUE(after->list_grants().empty());
  EXPECT_FALSE(after->load_discovery(peer.url()));

  // A password given in the URL is printed by nothing, also when the store cannot be reached.
  std::string unreachable = url;
  unreachable.replace(unreachable.find(":" + std::to_string(server.port())), std::to_string(server.port()).size() + 1,
                      ":1");
  const CommandResult failed = run_command(cli({"status", "--store", unreachable}));
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("127.0.0.1"), std::string::npos) << failed.err;
  for (const CommandResult* r : {&login, &status_env, &status_flag, &tools, &failed}) {
    EXPECT_EQ(r->out.find(server.password()), std::string::npos) << r->out;
    EXPECT_EQ(r->err.find(server.password()), std::string::npos) << r->err;
  }
}

// The gateway opens the same store: a grant one instance's login stored is
// the gateway's, with no consent and no token request of its own.
TEST(PostgresCli, TheGatewayUsesTheGrantALoginStoredInPostgres) {
  PostgresServer server;
  const std::string url = server.create_database("gateway");
  PeerProcess peer("oidc-server.mjs");
  const CommandResult login = run_command(cli({"login", peer.url(), "--store", url}), {"BROWSER=" + browser()});
  ASSERT_EQ(login.exit_code, 0) << login.err;

  testing::GatewayProcess gw(testing::write_config("pg-gateway", {{"secure", {{"url", peer.url()}}}}),
                             {"--store", url});
  mcp::SessionOptions options;
  options.url = gw.url("/servers/secure/mcp");
  options.request_timeout = std::chrono::seconds(30);
  auto session = mcp::Session::connect(options);
  const auto result = session->call_tool("echo", {{"text", "through a shared store"}});
  EXPECT_EQ(result.result["content"][0]["text"], "through a shared store");
  session->close();
  const auto requests = testing::as_requests(peer);
  EXPECT_EQ(testing::count_requests(requests, "/oidc/token", "authorization_code"), 1) << testing::describe(requests);
  EXPECT_EQ(testing::count_requests(requests, "/oidc/token", "refresh_token"), 0) << testing::describe(requests);
  EXPECT_EQ(gw.command().err().find(server.password()), std::string::npos) << gw.command().err();
}

// `mcpauth users` on a shared database: a user added by one "instance" logs
// another gateway's clients in, the database holds only the key's hash, and
// removing the user revokes and deletes its grant there.
TEST(PostgresCli, UsersLiveInTheSharedDatabaseWithTheirKeysHashOnly) {
  PostgresServer server;
  const std::string url = server.create_database("users");
  PeerProcess peer("oidc-server.mjs");
  const CommandResult added = run_command(cli({"users", "add", "alice", "--store", url}));
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string key = added.out.substr(0, added.out.find('\n'));
  ASSERT_EQ(key.rfind("mcpa_", 0), 0u);
  const CommandResult login =
      run_command(cli({"login", peer.url(), "--account", "alice", "--store", url}), {"BROWSER=" + browser()});
  ASSERT_EQ(login.exit_code, 0) << login.err;

  const std::string rows = server.psql("users", "SELECT u::text, encode(key_hash, 'hex') FROM mcpauth_users u");
  EXPECT_EQ(rows.find(key.substr(5)), std::string::npos) << "the key is in the database";
  EXPECT_NE(rows.find("alice"), std::string::npos) << rows;

  testing::GatewayProcess gw(testing::write_config("pg-users", {{"secure", {{"url", peer.url()}}}}), {"--store", url});
  mcp::SessionOptions options;
  options.url = gw.url("/servers/secure/mcp");
  options.request_timeout = std::chrono::seconds(30);
  EXPECT_EQ(testing::http("GET", gw.url("/api/state")).status, 401) << "users in the database: a key is needed";
  options.authorizer = std::make_shared<mcp::StaticHeaders>(net::HttpHeaders{{"Authorization", "Bearer " + key}});
  auto session = mcp::Session::connect(options);
  EXPECT_EQ(session->call_tool("echo", {{"text", "alice"}}).result["content"][0]["text"], "alice");
  session->close();

  const CommandResult removed = run_command(cli({"users", "remove", "alice", "--store", url}));
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_NE(removed.out.find("revoked at"), std::string::npos) << removed.out;
  EXPECT_EQ(server.psql("users", "SELECT count(*) FROM mcpauth_users"), "0\n");
  EXPECT_EQ(server.psql("users", "SELECT count(*) FROM mcpauth_tokens WHERE account = 'alice'"), "0\n");
}

}  // namespace
}  // namespace mcpauth

// `mcpauth users` through the command on the SQLite store: a key printed
// once (alone on stdout) and never stored, names checked, the list as a
// table and as JSON (never a key), and removal logging out of exactly that
// user's grants at oidc-provider (revoked there, deleted here).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using mcp::Json;
using testing::as_events;
using testing::browser;
using testing::cli;
using testing::PeerProcess;
using testing::run_command;
using testing::test_home;

// Every byte of the store's files (the database and its write-ahead log).
std::string store_bytes() {
  std::string out;
  for (const auto& entry : fs::directory_iterator(fs::path(test_home()) / "data" / "mcpauth")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    out += bytes.str();
  }
  return out;
}

std::string add_user(const std::string& name, std::initializer_list<std::string> extra = {}) {
  std::vector<std::string> argv = cli({"users", "add", name});
  argv.insert(argv.end(), extra);
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("shown this once"), std::string::npos) << r.err;
  return r.out;
}

TEST(UsersCommand, AKeyIsPrintedOnceAndOnlyItsHashIsStored) {
  auto r = run_command(cli({"users", "list"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("No users"), std::string::npos) << r.out;

  const std::string printed = add_user("alice");
  ASSERT_TRUE(std::regex_match(printed, std::regex("mcpa_[A-Za-z0-9_-]{43}\n"))) << printed;
  const std::string key = printed.substr(0, printed.size() - 1);
  add_user("bob", {"--admin"});

  r = run_command(cli({"users", "add", "alice"}));
  EXPECT_EQ(r.exit_code, 2) << "a name is added once";
  EXPECT_TRUE(r.out.empty()) << "no key for a refused user: " << r.out;
  r = run_command(cli({"users", "add", "no spaces"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a user name is"), std::string::npos) << r.err;

  r = run_command(cli({"users", "list", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json users = Json::parse(r.out);
  ASSERT_EQ(users.size(), 2u) << users.dump();
  EXPECT_EQ(users[0]["name"], "alice");
  EXPECT_EQ(users[0]["admin"], false);
  EXPECT_EQ(users[0]["api_key"], true);
  EXPECT_EQ(users[1]["name"], "bob");
  EXPECT_EQ(users[1]["admin"], true);
  EXPECT_GT(users[1]["created_at"].get<long long>(), 1'700'000'000);
  r = run_command(cli({"users", "list"}));
  EXPECT_TRUE(std::regex_search(r.out, std::regex("bob +admin +api key +20[0-9-]{8} [0-9:]{5} UTC"))) << r.out;

  const std::string bytes = store_bytes();
  EXPECT_EQ(bytes.find(key.substr(5)), std::string::npos) << "the key is in the store";
  for (const auto& listing : {r.out, users.dump()}) EXPECT_EQ(listing.find(key.substr(5)), std::string::npos);
}

TEST(UsersCommand, MisplacedArgumentsAreUsageErrors) {
  for (const auto& argv : {cli({"users", "add"}), cli({"users", "list", "alice"}), cli({"users", "list", "--admin"}),
                           cli({"users", "add", "carol", "--json"}), cli({"users", "remove", "nosuch"}),
                           cli({"users", "rename", "alice"})}) {
    const auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 2) << argv[1] << " " << argv[2] << ": " << r.err;
  }
}

TEST(UsersCommand, RemovingAUserLogsOutOfItsGrantsAndNoOneElses) {
  PeerProcess peer("oidc-server.mjs");
  add_user("alice");
  for (const std::string account : {"alice", ""}) {
    auto argv = cli({"login", peer.url()});
    if (!account.empty()) argv.insert(argv.end(), {"--account", account});
    ASSERT_EQ(run_command(argv, {"BROWSER=" + browser()}).exit_code, 0);
  }
  const auto r = run_command(cli({"users", "remove", "alice"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Logged out of " + peer.url() + " (account alice): revoked at"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Removed user alice."), std::string::npos) << r.out;
  bool grant_revoked = false;
  for (const auto& e : as_events(peer)) grant_revoked = grant_revoked || e["event"] == "grant.revoked";
  EXPECT_TRUE(grant_revoked) << as_events(peer).dump();

  const Json rows = Json::parse(run_command(cli({"status", peer.url(), "--json"})).out);
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["account"], "") << "the default account's grant stays";
  EXPECT_EQ(rows[0]["state"], "authorized");
  EXPECT_TRUE(Json::parse(run_command(cli({"users", "list", "--json"})).out).empty());
}

}  // namespace
}  // namespace mcpauth

// `mcpauth store rotate-key` as a user runs it, against a PostgreSQL 15 of
// the test's own: --generate-key writes a new 0600 key file and prints no
// key; a row no key opens is named by kind and id and makes the exit
// status 7; --status and --retire say whether a row is still under an old
// key; once retired, the old key is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../unit/scratch_dir.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "peer_process.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using testing::cli;
using testing::CommandResult;
using testing::content_of;
using testing::run_command;

store::TokenKey grant(const std::string& account) {
  return store::TokenKey{"https://mcp.example/mcp", "https://as.example", "client-1", account};
}

TEST(StoreRotateCli, RotatesNamesWhatItCannotOpenAndRetiresOnlyWhenNothingIsLeft) {
  testing::PostgresServer server;
  const std::string url = server.create_database("rotate");
  const std::string key_a = store::new_store_key();
  {
    store::PostgresStoreOptions options;
    options.url = url;
    options.key = key_a;
    auto s = store::open_postgres_token_store(options);
    core::oauth::TokenSet tokens;
    tokens.access_token = "access-token-value";
    s->save_tokens(grant("one"), tokens);
    s->save_tokens(grant("foreign"), tokens);
  }
  server.psql("rotate", "UPDATE mcpauth_tokens SET key_id = '00000000000000aa' WHERE account = 'foreign'");

  const fs::path new_key = fs::path(testing::test_home()) / "rotate-new.key";
  fs::remove(new_key);
  const CommandResult rotated = run_command(
      cli({"store", "rotate-key", "--store", url, "--generate-key", new_key.string()}), {"MCPAUTH_KEY=" + key_a});
  EXPECT_EQ(rotated.exit_code, 7) << rotated.out << rotated.err;
  ASSERT_TRUE(fs::exists(new_key));
  EXPECT_EQ(fs::status(new_key).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  std::string key_b = content_of(new_key);
  while (!key_b.empty() && key_b.back() == '\n') key_b.pop_back();
  ASSERT_EQ(key_b.size(), 43u);
  for (const std::string& secret : {key_a, key_b, server.password(), std::string("access-token-value")}) {
    EXPECT_EQ((rotated.out + rotated.err).find(secret), std::string::npos) << "printed: " << secret.substr(0, 8);
  }
  EXPECT_NE(rotated.out.find("re-sealed: 1 rows"), std::string::npos) << rotated.out;
  EXPECT_NE(rotated.out.find("cannot open: grant https://mcp.example/mcp (account foreign) at https://as.example"),
            std::string::npos)
      << rotated.out;

  const std::vector<std::string> both = {"MCPAUTH_KEY=" + key_b, "MCPAUTH_KEY_PREVIOUS=" + key_a};
  const CommandResult status = run_command(cli({"store", "rotate-key", "--status", "--json", "--store", url}), both);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  const auto report = nlohmann::json::parse(status.out);
  EXPECT_EQ(report["rows_under_other_keys"], 1) << status.out;
  EXPECT_EQ(report["rows_by_key"]["00000000000000aa"], 1) << status.out;

  const CommandResult refused = run_command(cli({"store", "rotate-key", "--retire", "--store", url}), both);
  EXPECT_EQ(refused.exit_code, 7) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("nothing was retired"), std::string::npos) << refused.err;

  server.psql("rotate", "DELETE FROM mcpauth_tokens WHERE account = 'foreign'");  // as a logout would
  const CommandResult retired =
      run_command(cli({"store", "rotate-key", "--retire", "--store", url}), {"MCPAUTH_KEY=" + key_b});
  EXPECT_EQ(retired.exit_code, 0) << retired.out << retired.err;
  EXPECT_NE(retired.out.find("retired: "), std::string::npos) << retired.out;

  const CommandResult old_key =
      run_command(cli({"store", "rotate-key", "--status", "--store", url}), {"MCPAUTH_KEY=" + key_a});
  EXPECT_EQ(old_key.exit_code, 7) << old_key.out << old_key.err;
  EXPECT_NE(old_key.err.find("cannot be opened with the key from MCPAUTH_KEY"), std::string::npos) << old_key.err;

  // Usage: two sources for the new key.
  EXPECT_EQ(run_command(cli({"store", "rotate-key", "--store", url, "--new-key-env", "X", "--generate-key", "y"}),
                        {"MCPAUTH_KEY=" + key_b})
                .exit_code,
            2);
  fs::remove(new_key);
}

}  // namespace
}  // namespace mcpauth

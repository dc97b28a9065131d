// The store's key in the desktop keyring: a real Secret Service
// (gnome-keyring-daemon, unlocked headless) on a private D-Bus session bus
// (dbus-run-session). With the keyring the store has no key file; without
// it, the store says where its key is instead of making a new one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "peer_process.hpp"
#include "platform/files.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::test_home;

TEST(Keyring, TheStoreKeyLivesInTheDesktopKeyringWhenOneAnswers) {
  for (const char* tool : {"/usr/bin/dbus-run-session", "/usr/bin/gnome-keyring-daemon", "/usr/bin/secret-tool"}) {
    ASSERT_TRUE(test_platform::is_executable(tool)) << tool << " is missing: scripts/install-deps.sh installs it";
  }
  const fs::path home = fs::path(test_home()) / "keyring-home";
  const fs::path data = home / "data";
  fs::create_directories(home);
  const fs::path store = data / "mcpauth" / "tokens.db";
  const fs::path script = home / "session.sh";
  // Inside the private session: unlock a fresh keyring, create the store,
  // check where its key went, and reopen the store with it.
  std::ofstream(script) << "set -e\n"
                           "printf testpw | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
                           "\"$MCPAUTH\" status >/dev/null\n"
                           "test -e \"$STORE.key\" && echo 'key file written' || echo 'no key file'\n"
                           "secret-tool lookup store \"$STORE\" >/dev/null && echo 'key in keyring'\n"
                           "\"$MCPAUTH\" status >/dev/null && echo 'reopened'\n"
                           "if \"$MCPAUTH\" store rotate-key --generate-key \"$HOME/new.key\" 2>\"$HOME/rotate.err\"; "
                           "then echo 'rotated'; else grep -q 'desktop keyring' \"$HOME/rotate.err\" && "
                           "echo 'rotation refused'; fi\n"
                           "test -e \"$HOME/new.key\" || echo 'no new key file'\n";
  const auto inside = run_command({"dbus-run-session", "--", "sh", script.string()},
                                  {"HOME=" + home.string(), "XDG_DATA_HOME=" + data.string(),
                                   "MCPAUTH=" MCPAUTH_CLI_PATH, "STORE=" + store.string(), "BROWSER="},
                                  std::chrono::seconds(60));
  ASSERT_EQ(inside.exit_code, 0) << inside.out << inside.err;
  EXPECT_NE(inside.out.find("no key file"), std::string::npos) << inside.out << inside.err;
  EXPECT_NE(inside.out.find("key in keyring"), std::string::npos) << inside.out << inside.err;
  EXPECT_NE(inside.out.find("reopened"), std::string::npos) << inside.out << inside.err;
  // A key rotation does not change the keyring's key: refused before a new key file is made.
  EXPECT_NE(inside.out.find("rotation refused"), std::string::npos) << inside.out << inside.err;
  EXPECT_NE(inside.out.find("no new key file"), std::string::npos) << inside.out << inside.err;

  // Outside the session there is no keyring: a clear error, and no new key.
  const auto outside =
      run_command({MCPAUTH_CLI_PATH, "status"}, {"HOME=" + home.string(), "XDG_DATA_HOME=" + data.string()});
  EXPECT_EQ(outside.exit_code, 7) << outside.err;
  EXPECT_NE(outside.err.find("its key was not found"), std::string::npos) << outside.err;
  EXPECT_FALSE(fs::exists(store.string() + ".key"));
}

}  // namespace
}  // namespace mcpauth

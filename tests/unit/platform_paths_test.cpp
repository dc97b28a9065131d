// Where the token store and the config file go on Linux, macOS and Windows:
// pure functions of the system and the environment, so all three are tested here.
#include <gtest/gtest.h>

#include "fake_env.hpp"
#include "mcpauth_internal/core/platform/paths.hpp"

namespace mcpauth::core::platform {
namespace {

using testing::fake_env;

TEST(PlatformPaths, CurrentOsOfThisBuildIsLinux) {
  // The tests run on Linux; the other two systems are reached through the argument only.
  static_assert(mcpauth::core::platform::current_os() == Os::linux);
  SUCCEED();
}

// ---- Linux: today's XDG rules, exactly --------------------------------------

TEST(PlatformPaths, LinuxStoreFollowsXdgDataHomeThenHome) {
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"HOME", "/home/u"}})), "/home/u/.local/share/mcpauth/tokens.db");
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "/data"}})),
            "/data/mcpauth/tokens.db");
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "/data/"}})),
            "/data/mcpauth/tokens.db")
      << "a trailing separator is not doubled (std::filesystem::path's operator/)";
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "relative"}})),
            "/home/u/.local/share/mcpauth/tokens.db")
      << "the XDG spec says a relative value is ignored";
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"HOME", "/home/u"}, {"XDG_DATA_HOME", ""}})),
            "/home/u/.local/share/mcpauth/tokens.db");
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"HOME", ""}})), std::nullopt);
  EXPECT_EQ(token_store_path(Os::linux, fake_env({})), std::nullopt);
  EXPECT_EQ(token_store_path(Os::linux, fake_env({{"LOCALAPPDATA", "C:\\L"}, {"USERPROFILE", "C:\\U"}})), std::nullopt)
      << "another system's variables place nothing";
}

TEST(PlatformPaths, LinuxConfigFollowsXdgConfigHomeThenHome) {
  EXPECT_EQ(config_file_path(Os::linux, fake_env({{"HOME", "/h"}})), "/h/.config/mcpauth/config.json");
  EXPECT_EQ(config_file_path(Os::linux, fake_env({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
            "/x/mcpauth/config.json");
  EXPECT_EQ(config_file_path(Os::linux, fake_env({{"XDG_CONFIG_HOME", "rel"}, {"HOME", "/h"}})),
            "/h/.config/mcpauth/config.json");
  EXPECT_EQ(config_file_path(Os::linux, fake_env({{"XDG_CONFIG_HOME", "/x"}})), "/x/mcpauth/config.json")
      << "XDG_CONFIG_HOME alone is enough";
  EXPECT_EQ(config_file_path(Os::linux, fake_env({})), std::nullopt);
}

// ---- macOS: ~/Library/Application Support ---------------------------------

TEST(PlatformPaths, MacosKeepsBothFilesInApplicationSupport) {
  const auto env = fake_env({{"HOME", "/Users/u"}, {"XDG_DATA_HOME", "/data"}, {"XDG_CONFIG_HOME", "/x"}});
  EXPECT_EQ(token_store_path(Os::macos, env), "/Users/u/Library/Application Support/mcpauth/tokens.db")
      << "the XDG variables are Linux's; macOS has its own place";
  EXPECT_EQ(config_file_path(Os::macos, env), "/Users/u/Library/Application Support/mcpauth/config.json");
  EXPECT_EQ(token_store_path(Os::macos, fake_env({{"HOME", "/Users/u/"}})),
            "/Users/u/Library/Application Support/mcpauth/tokens.db");
  EXPECT_EQ(token_store_path(Os::macos, fake_env({{"XDG_DATA_HOME", "/data"}})), std::nullopt);
  EXPECT_EQ(config_file_path(Os::macos, fake_env({})), std::nullopt);
}

// ---- Windows: %LOCALAPPDATA% for data, %APPDATA% for settings -------------

TEST(PlatformPaths, WindowsStoreIsLocalAndConfigRoams) {
  const auto env = fake_env({{"LOCALAPPDATA", "C:\\Users\\u\\AppData\\Local"},
                             {"APPDATA", "C:\\Users\\u\\AppData\\Roaming"},
                             {"USERPROFILE", "C:\\Users\\u"},
                             {"HOME", "/home/u"}});
  EXPECT_EQ(token_store_path(Os::windows, env), "C:\\Users\\u\\AppData\\Local\\mcpauth\\tokens.db");
  EXPECT_EQ(config_file_path(Os::windows, env), "C:\\Users\\u\\AppData\\Roaming\\mcpauth\\config.json");
}

TEST(PlatformPaths, WindowsFallsBackOnTheUserProfile) {
  const auto env = fake_env({{"USERPROFILE", "C:\\Users\\u"}, {"HOME", "/home/u"}});
  EXPECT_EQ(token_store_path(Os::windows, env), "C:\\Users\\u\\AppData\\Local\\mcpauth\\tokens.db");
  EXPECT_EQ(config_file_path(Os::windows, env), "C:\\Users\\u\\AppData\\Roaming\\mcpauth\\config.json");
  EXPECT_EQ(token_store_path(Os::windows, fake_env({{"LOCALAPPDATA", "D:\\L\\"}})), "D:\\L\\mcpauth\\tokens.db");
  EXPECT_EQ(token_store_path(Os::windows, fake_env({{"LOCALAPPDATA", "D:/L/"}})), "D:/L/mcpauth\\tokens.db")
      << "'/' ends a directory on Windows too";
  EXPECT_EQ(token_store_path(Os::windows, fake_env({{"HOME", "/home/u"}})), std::nullopt);
  EXPECT_EQ(config_file_path(Os::windows, fake_env({{"LOCALAPPDATA", "C:\\L"}})), std::nullopt)
      << "the config file is a setting: it is not placed with the local data";
}

// ---- the overrides, everywhere ----------------------------------------------

TEST(PlatformPaths, OverridesWinOnEverySystem) {
  const auto env = fake_env({{"MCPAUTH_STORE", "/s/t.db"},
                             {"MCPAUTH_CONFIG", "/c/m.json"},
                             {"HOME", "/h"},
                             {"XDG_DATA_HOME", "/d"},
                             {"XDG_CONFIG_HOME", "/x"},
                             {"LOCALAPPDATA", "C:\\L"},
                             {"APPDATA", "C:\\R"}});
  for (const Os os : {Os::linux, Os::macos, Os::windows}) {
    EXPECT_EQ(token_store_path(os, env), "/s/t.db");
    EXPECT_EQ(config_file_path(os, env), "/c/m.json");
  }
  // An empty override counts as unset.
  const auto empty = fake_env({{"MCPAUTH_STORE", ""}, {"MCPAUTH_CONFIG", ""}, {"HOME", "/h"}});
  EXPECT_EQ(token_store_path(Os::linux, empty), "/h/.local/share/mcpauth/tokens.db");
  EXPECT_EQ(config_file_path(Os::macos, empty), "/h/Library/Application Support/mcpauth/config.json");
  // The overrides alone place both files where nothing else is set.
  EXPECT_EQ(token_store_path(Os::windows, fake_env({{"MCPAUTH_STORE", "C:\\t.db"}})), "C:\\t.db");
}

TEST(PlatformPaths, UnsetMessageNamesEachSystemsVariables) {
  EXPECT_EQ(token_store_path_unset(Os::linux), "neither XDG_DATA_HOME nor HOME is set");
  EXPECT_EQ(token_store_path_unset(Os::macos), "HOME is not set");
  EXPECT_EQ(token_store_path_unset(Os::windows), "neither LOCALAPPDATA nor USERPROFILE is set");
}

TEST(PlatformPaths, JoinUsesEachSystemsSeparator) {
  EXPECT_EQ(join_path(Os::linux, "/a", "b"), "/a/b");
  EXPECT_EQ(join_path(Os::linux, "/", "b"), "/b");
  EXPECT_EQ(join_path(Os::linux, "/a\\", "b"), "/a\\/b") << "a backslash is a file-name character on Linux";
  EXPECT_EQ(join_path(Os::macos, "/a", "b c"), "/a/b c");
  EXPECT_EQ(join_path(Os::windows, "C:\\a", "b"), "C:\\a\\b");
  EXPECT_EQ(join_path(Os::windows, "C:\\", "b"), "C:\\b");
  EXPECT_EQ(join_path(Os::windows, "C:/a/", "b"), "C:/a/b");
}

}  // namespace
}  // namespace mcpauth::core::platform

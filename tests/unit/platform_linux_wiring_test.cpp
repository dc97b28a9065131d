// The callers ask the platform decisions for this build's system (Linux
// here): the answers they give are the Linux vectors, not macOS's or
// Windows's, and the store's refusal still names Linux's variables.
#include <gtest/gtest.h>

#include <string>

#include "cli_options.hpp"
#include "error_of.hpp"
#include "fake_env.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "server_config.hpp"

namespace {

using mcpauth::ErrorCode;
using mcpauth::testing::error_of;
using mcpauth::testing::fake_env;

TEST(PlatformLinuxWiring, StorePathIsLinuxsAndItsRefusalNamesLinuxsVariables) {
  EXPECT_EQ(mcpauth::store::default_sqlite_store_options(fake_env({{"HOME", "/h"}, {"LOCALAPPDATA", "C:\\L"}})).path,
            "/h/.local/share/mcpauth/tokens.db");
  const auto e = error_of([] { mcpauth::store::default_sqlite_store_options(fake_env({{"USERPROFILE", "C:\\U"}})); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find("neither XDG_DATA_HOME nor HOME is set (set MCPAUTH_STORE)"), std::string::npos)
      << e.what();
}

TEST(PlatformLinuxWiring, ConfigPathIsLinuxs) {
  EXPECT_EQ(mcpauth::app::default_config_path(fake_env({{"HOME", "/h"}, {"APPDATA", "C:\\R"}})),
            "/h/.config/mcpauth/config.json");
}

TEST(PlatformLinuxWiring, BrowserNeedsADisplayAsOnLinux) {
  EXPECT_FALSE(mcpauth::app::can_open_browser(fake_env({}))) << "macOS and Windows would say yes here";
  EXPECT_TRUE(mcpauth::app::can_open_browser(fake_env({{"WAYLAND_DISPLAY", "wayland-0"}})));
}

}  // namespace

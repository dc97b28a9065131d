// Whether a browser can open, and what is run to open one, on Linux, macOS
// and Windows: pure functions of the system and the environment.
#include <gtest/gtest.h>

#include "fake_env.hpp"
#include "mcpauth_internal/core/platform/browser.hpp"

namespace mcpauth::core::platform {
namespace {

using testing::fake_env;
using Argv = std::vector<std::string>;
using Commands = std::vector<Argv>;

const std::string kUrl = "https://as.example/authorize?a=1&b=2";

// ---- can a browser open? ----------------------------------------------------

TEST(PlatformBrowser, LinuxNeedsADisplayOutsideSsh) {
  EXPECT_TRUE(can_open_browser(Os::linux, fake_env({{"DISPLAY", ":0"}})));
  EXPECT_TRUE(can_open_browser(Os::linux, fake_env({{"WAYLAND_DISPLAY", "wayland-0"}})));
  EXPECT_FALSE(can_open_browser(Os::linux, fake_env({})));
  EXPECT_FALSE(can_open_browser(Os::linux, fake_env({{"DISPLAY", ""}})));
  EXPECT_FALSE(can_open_browser(Os::linux, fake_env({{"DISPLAY", ":0"}, {"SSH_CONNECTION", "1 2 3 4"}})))
      << "a forwarded display opens the browser on the wrong machine's session";
  EXPECT_FALSE(can_open_browser(Os::linux, fake_env({{"DISPLAY", ":0"}, {"SSH_TTY", "/dev/pts/1"}})));
  EXPECT_TRUE(can_open_browser(Os::linux, fake_env({{"DISPLAY", ":0"}, {"SSH_TTY", ""}})));
}

TEST(PlatformBrowser, MacosAndWindowsDesktopsSetNoDisplay) {
  for (const Os os : {Os::macos, Os::windows}) {
    EXPECT_TRUE(can_open_browser(os, fake_env({}))) << "a login session has a desktop";
    EXPECT_FALSE(can_open_browser(os, fake_env({{"SSH_CONNECTION", "1 2 3 4"}})));
    EXPECT_FALSE(can_open_browser(os, fake_env({{"SSH_TTY", "/dev/ttys001"}})));
  }
}

TEST(PlatformBrowser, BrowserVariableAlwaysMeansYes) {
  for (const Os os : {Os::linux, Os::macos, Os::windows}) {
    EXPECT_TRUE(can_open_browser(os, fake_env({{"BROWSER", "lynx"}, {"SSH_CONNECTION", "1 2 3 4"}})))
        << "the user named a browser that works here (a text browser over SSH)";
    EXPECT_FALSE(can_open_browser(os, fake_env({{"BROWSER", ""}, {"SSH_CONNECTION", "1 2 3 4"}})));
  }
}

// ---- one $BROWSER entry -------------------------------------------------------

TEST(PlatformBrowser, EntryTakesTheUrlAtPercentSOrAtTheEnd) {
  EXPECT_EQ(browser_command("firefox", kUrl), (Argv{"firefox", kUrl}));
  EXPECT_EQ(browser_command("firefox --new-window", kUrl), (Argv{"firefox", "--new-window", kUrl}));
  EXPECT_EQ(browser_command("open -a Safari %s --background", kUrl),
            (Argv{"open", "-a", "Safari", kUrl, "--background"}));
  EXPECT_EQ(browser_command("w3m  --url=%s", kUrl), (Argv{"w3m", "--url=" + kUrl})) << "runs of spaces split once";
  EXPECT_EQ(browser_command("echo %s %s", "u"), (Argv{"echo", "u", "u"}));
  EXPECT_EQ(browser_command("a %s%s", "u"), (Argv{"a", "u%s"})) << "once per word";
  EXPECT_EQ(browser_command("'my browser'", "u"), (Argv{"'my", "browser'", "u"}))
      << "no quoting: a command, not a script";
}

// ---- the launch, per system ---------------------------------------------------

TEST(PlatformBrowser, LinuxRunsBrowserEntriesInOrderElseXdgOpen) {
  const auto fallback = browser_launch(Os::linux, fake_env({}), kUrl);
  EXPECT_EQ(fallback.kind, BrowserLaunch::Kind::run);
  EXPECT_EQ(fallback.commands, (Commands{{"xdg-open", kUrl}}));

  const auto listed = browser_launch(Os::linux, fake_env({{"BROWSER", "nonexistent::firefox %s:lynx"}}), kUrl);
  EXPECT_EQ(listed.kind, BrowserLaunch::Kind::run);
  EXPECT_EQ(listed.commands, (Commands{{"nonexistent", kUrl}, {"firefox", kUrl}, {"lynx", kUrl}}));

  const auto none = browser_launch(Os::linux, fake_env({{"BROWSER", ":"}}), kUrl);
  EXPECT_TRUE(none.commands.empty()) << "a $BROWSER naming nothing does not fall back on xdg-open";
  EXPECT_EQ(browser_launch(Os::linux, fake_env({{"BROWSER", ""}}), kUrl).commands, (Commands{{"xdg-open", kUrl}}));
}

TEST(PlatformBrowser, MacosRunsOpenByFullPath) {
  const auto launch = browser_launch(Os::macos, fake_env({}), kUrl);
  EXPECT_EQ(launch.kind, BrowserLaunch::Kind::run);
  EXPECT_EQ(launch.commands, (Commands{{"/usr/bin/open", kUrl}}));
  EXPECT_EQ(browser_launch(Os::macos, fake_env({{"BROWSER", "open -a Firefox:open"}}), kUrl).commands,
            (Commands{{"open", "-a", "Firefox", kUrl}, {"open", kUrl}}));
}

TEST(PlatformBrowser, WindowsShellExecutesElseSplitsBrowserOnSemicolons) {
  const auto launch = browser_launch(Os::windows, fake_env({}), kUrl);
  EXPECT_EQ(launch.kind, BrowserLaunch::Kind::shell_execute);
  EXPECT_EQ(launch.url, kUrl);
  EXPECT_TRUE(launch.commands.empty());

  const auto listed =
      browser_launch(Os::windows, fake_env({{"BROWSER", "C:\\Tools\\firefox.exe -private-window;msedge"}}), kUrl);
  EXPECT_EQ(listed.kind, BrowserLaunch::Kind::run);
  EXPECT_EQ(listed.commands, (Commands{{"C:\\Tools\\firefox.exe", "-private-window", kUrl}, {"msedge", kUrl}}))
      << "the drive letter's ':' does not split the list";
}

}  // namespace
}  // namespace mcpauth::core::platform

// The open-file soft limit: how far it is raised on Linux, macOS and Windows
// (pure decisions), and the gateway raising this process's own.
#include <gtest/gtest.h>

#include "file_limit.hpp"
#include "mcpauth_internal/core/platform/open_files.hpp"
#include "mcpauth_internal/platform/open_files.hpp"

namespace mcpauth {
namespace {

using core::platform::kUnlimitedFiles;
using core::platform::open_file_budget;
using core::platform::open_file_soft_target;
using core::platform::Os;

TEST(PlatformOpenFiles, LinuxRaisesTheSoftLimitToTheHardOne) {
  EXPECT_EQ(open_file_soft_target(Os::linux, 1'024, 524'288), 524'288u);
  EXPECT_EQ(open_file_soft_target(Os::linux, 1'024, kUnlimitedFiles), 1'048'576u)
      << "the kernel refuses more than fs.nr_open";
  EXPECT_EQ(open_file_soft_target(Os::linux, 4'096, 4'096), std::nullopt) << "already there";
}

TEST(PlatformOpenFiles, MacosStopsAtOpenMax) {
  EXPECT_EQ(open_file_soft_target(Os::macos, 256, kUnlimitedFiles), 10'240u)
      << "setrlimit refuses RLIM_INFINITY and anything above OPEN_MAX";
  EXPECT_EQ(open_file_soft_target(Os::macos, 256, 20'000), 10'240u);
  EXPECT_EQ(open_file_soft_target(Os::macos, 256, 2'048), 2'048u);
  EXPECT_EQ(open_file_soft_target(Os::macos, 10'240, kUnlimitedFiles), std::nullopt);
}

TEST(PlatformOpenFiles, WindowsHasNothingToRaise) {
  EXPECT_EQ(open_file_soft_target(Os::windows, 512, 8'192), std::nullopt);
}

TEST(PlatformOpenFiles, NeverLowersTheSoftLimit) {
  for (const Os os : {Os::linux, Os::macos, Os::windows}) {
    EXPECT_EQ(open_file_soft_target(os, kUnlimitedFiles, kUnlimitedFiles), std::nullopt);
    EXPECT_EQ(open_file_soft_target(os, 50'000, 40'000), std::nullopt) << "a soft limit above the target stays";
  }
}

TEST(PlatformOpenFiles, BudgetIsTheSoftLimitOrAGuessPerSystem) {
  for (const Os os : {Os::linux, Os::macos, Os::windows}) {
    EXPECT_EQ(open_file_budget(os, 4'096), 4'096u);
    EXPECT_EQ(open_file_budget(os, kUnlimitedFiles), 1'048'576u);
  }
  EXPECT_EQ(open_file_budget(Os::linux, std::nullopt), 1'024u);
  EXPECT_EQ(open_file_budget(Os::macos, std::nullopt), 1'024u);
  EXPECT_EQ(open_file_budget(Os::windows, std::nullopt), 1'048'576u) << "sockets there are bounded by memory";
}

TEST(GatewayFileLimit, RaisesThisProcesssSoftLimitToTheHardOne) {
  const auto before = platform::open_file_limits();
  ASSERT_TRUE(before);
  if (before->hard <= 256) GTEST_SKIP() << "the hard limit leaves nothing to raise";
  ASSERT_FALSE(platform::set_open_file_soft_limit(256));
  ASSERT_EQ(platform::open_file_limits()->soft, 256u);

  const std::size_t budget = gateway::raise_open_file_limit();
  const auto after = platform::open_file_limits();
  ASSERT_TRUE(after);
  const auto target = open_file_soft_target(core::platform::current_os(), 256, before->hard);
  ASSERT_TRUE(target);
  EXPECT_EQ(after->soft, *target);
  EXPECT_EQ(budget, open_file_budget(core::platform::current_os(), after->soft)) << "plans with the limit in force";
  ASSERT_FALSE(platform::set_open_file_soft_limit(before->soft));
}

}  // namespace
}  // namespace mcpauth

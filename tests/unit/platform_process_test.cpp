// Flow claims' process identity: the decision (core/platform/process.hpp)
// for every system, Linux's /proc/<pid>/stat parsing, and the calls on this
// system (src/platform/process_*.cpp).
#include <gtest/gtest.h>

#include "mcpauth_internal/core/platform/process.hpp"
#include "mcpauth_internal/platform/process.hpp"

namespace {

using mcpauth::core::platform::claim_holder_running;
using mcpauth::core::platform::Os;
using mcpauth::core::platform::start_time_source;
using mcpauth::core::platform::StartTimeSource;

TEST(PlatformProcess, EachSystemReadsAStartTimeFromItsOwnSource) {
  EXPECT_EQ(start_time_source(Os::linux), StartTimeSource::proc_stat);
  EXPECT_EQ(start_time_source(Os::macos), StartTimeSource::proc_pidinfo);
  EXPECT_EQ(start_time_source(Os::windows), StartTimeSource::get_process_times);
}

TEST(PlatformProcess, AClaimHolderRunsOnlyWithItsPidAndItsStartTime) {
  EXPECT_FALSE(claim_holder_running(false, 100, 100));
  EXPECT_FALSE(claim_holder_running(false, 0, std::nullopt));
  EXPECT_TRUE(claim_holder_running(true, 100, 100));
  EXPECT_FALSE(claim_holder_running(true, 100, 101)) << "the pid was reused";
  // Unknown on either side (a claim of an older mcpauth; an unreadable process): the pid decides.
  EXPECT_TRUE(claim_holder_running(true, 0, 101));
  EXPECT_TRUE(claim_holder_running(true, 100, std::nullopt));
}

TEST(PlatformProcess, LinuxStartTimeIsField22OfProcStat) {
  using mcpauth::platform::start_time_of_proc_stat;
  const std::string tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21";
  EXPECT_EQ(start_time_of_proc_stat("1234 (bash)" + tail), 424242u);
  // The command name may hold spaces and parentheses: fields count after the last ')'.
  EXPECT_EQ(start_time_of_proc_stat("1234 (a) b (c))" + tail), 424242u);
  EXPECT_EQ(start_time_of_proc_stat("1234 (bash) S 1 2 3"), std::nullopt);
  EXPECT_EQ(start_time_of_proc_stat("no parenthesis at all"), std::nullopt);
  EXPECT_EQ(start_time_of_proc_stat("1234 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4x 20"), std::nullopt);
}

TEST(PlatformProcess, ThisProcessExistsAndHasAStableStartTime) {
  namespace platform = mcpauth::platform;
  const long long pid = platform::current_process_id();
  EXPECT_TRUE(platform::process_exists(pid));
  EXPECT_FALSE(platform::process_exists(0));
  const auto started = platform::process_start_time(pid);
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(platform::process_start_time(pid), started);
  EXPECT_EQ(platform::process_start_time(-1), std::nullopt);
  EXPECT_FALSE(platform::host_name().empty());
}

}  // namespace

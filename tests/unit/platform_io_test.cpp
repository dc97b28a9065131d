// The decisions about the library's I/O per system (core/platform/):
// keeping sockets from raising SIGPIPE, and the paste prompt's wait.
#include <gtest/gtest.h>

#include "mcpauth_internal/core/platform/prompt_wait.hpp"
#include "mcpauth_internal/core/platform/sigpipe.hpp"

namespace {

using namespace mcpauth::core::platform;

TEST(PlatformIo, SigpipeIsAFlagOnLinuxAnOptionOnMacosAndNothingOnWindows) {
  EXPECT_EQ(sigpipe_guard(Os::linux), SigpipeGuard::send_flag);
  EXPECT_EQ(sigpipe_guard(Os::macos), SigpipeGuard::socket_option);
  EXPECT_EQ(sigpipe_guard(Os::windows), SigpipeGuard::none);
}

TEST(PlatformIo, ThePastePromptSelectsOnPosixAndWaitsForObjectsOnWindows) {
  EXPECT_EQ(prompt_wait(Os::linux), PromptWait::select_with_self_pipe);
  EXPECT_EQ(prompt_wait(Os::macos), PromptWait::select_with_self_pipe);
  EXPECT_EQ(prompt_wait(Os::windows), PromptWait::wait_for_multiple_objects);
}

}  // namespace

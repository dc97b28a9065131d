// Setting a variable of this process's environment (the command's --store
// and --verbose reach the library that way).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "mcpauth_internal/platform/environment.hpp"

namespace mcpauth::platform {
namespace {

TEST(PlatformEnvironment, SetsAndReplacesAVariable) {
  const std::string name = "MCPAUTH_PLATFORM_ENVIRONMENT_TEST";
  set_environment_variable(name, "first");
  ASSERT_NE(std::getenv(name.c_str()), nullptr);
  EXPECT_STREQ(std::getenv(name.c_str()), "first");
  set_environment_variable(name, "second value");
  EXPECT_STREQ(std::getenv(name.c_str()), "second value");
}

}  // namespace
}  // namespace mcpauth::platform

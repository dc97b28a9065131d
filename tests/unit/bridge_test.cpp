// What the bridge may send twice: only requests that change nothing on the server.
#include "mcpauth/mcp/bridge.hpp"

#include <gtest/gtest.h>

namespace mcpauth::mcp {
namespace {

TEST(Bridge, RequestsThatChangeNothingMayBeRepeated) {
  for (const char* method : {"initialize", "ping", "tools/list", "resources/list", "resources/templates/list",
                             "prompts/list", "resources/read", "prompts/get", "completion/complete"}) {
    EXPECT_TRUE(is_safe_to_repeat(method)) << method;
  }
}

TEST(Bridge, RequestsThatMayActAreNeverRepeated) {
  for (const char* method : {"tools/call", "sampling/createMessage", "elicitation/create", "resources/subscribe",
                             "list", "/list", "x", "", "tools/listen", "notifications/initialized"}) {
    EXPECT_FALSE(is_safe_to_repeat(method)) << method;
  }
}

}  // namespace
}  // namespace mcpauth::mcp

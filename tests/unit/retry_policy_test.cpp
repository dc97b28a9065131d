// "Nothing sent twice" (mcp/retry_policy): which failures allow which
// messages to be sent again.
#include "mcpauth/mcp/retry_policy.hpp"

#include <gtest/gtest.h>

namespace mcpauth::mcp {
namespace {

Error refused() {
  return Error(ErrorCode::connection, "cannot connect").mark_never_sent();
}
Error status(int code) {
  return Error(ErrorCode::http_status, "HTTP " + std::to_string(code), "https://mcp.example/mcp", code);
}

TEST(RetryPolicy, RequestsThatChangeNothingMayBeRepeated) {
  for (const char* method :
       {"initialize", "ping", "tools/list", "resources/list", "resources/templates/list", "prompts/list",
        "resources/read", "prompts/get", "completion/complete", "logging/setLevel", "server/discover"}) {
    EXPECT_TRUE(is_safe_to_repeat(method)) << method;
  }
}

TEST(RetryPolicy, RequestsThatMayActAreNeverRepeated) {
  for (const char* method : {"tools/call", "sampling/createMessage", "elicitation/create", "resources/subscribe",
                             "list", "/list", "x", "", "tools/listen", "notifications/initialized"}) {
    EXPECT_FALSE(is_safe_to_repeat(method)) << method;
  }
}

TEST(RetryPolicy, WhatNeverReachedTheServerMayAlwaysGoAgain) {
  for (const Error& e : {refused(), status(503), Error(ErrorCode::auth_server_unreachable, "no AS")}) {
    EXPECT_TRUE(may_send_again(e, "tools/call")) << e.what();
    EXPECT_TRUE(may_send_again(e, "notifications/initialized")) << e.what();
    EXPECT_TRUE(may_send_again(e, "ping")) << e.what();
  }
}

TEST(RetryPolicy, AfterAnAmbiguousFailureOnlyWhatChangesNothing) {
  for (const Error& e :
       {Error(ErrorCode::connection, "reset"), Error(ErrorCode::timeout, "timed out"), status(502), status(504)}) {
    EXPECT_TRUE(may_send_again(e, "tools/list")) << e.what();
    EXPECT_TRUE(may_send_again(e, "initialize")) << e.what();
    EXPECT_FALSE(may_send_again(e, "tools/call")) << e.what();
    EXPECT_FALSE(may_send_again(e, "notifications/initialized")) << e.what();
  }
}

TEST(RetryPolicy, OtherFailuresAreNeverRetried) {
  for (const Error& e : {status(500), status(400), status(404), Error(ErrorCode::unauthorized, "401", "", 401),
                         Error(ErrorCode::forbidden, "403", "", 403), Error(ErrorCode::protocol, "bad"),
                         Error(ErrorCode::session_expired, "gone", "", 404), Error(ErrorCode::cancelled, "closed")}) {
    EXPECT_FALSE(may_send_again(e, "ping")) << e.what();
    EXPECT_FALSE(may_send_again(e, "tools/call")) << e.what();
  }
}

TEST(RetryPolicy, NobodyListeningBeforeTheServerWasReachedIsNotRetried) {
  EXPECT_FALSE(may_retry(refused(), "ping", false));
  EXPECT_TRUE(may_retry(refused(), "ping", true));
  // Failures that did reach something follow may_send_again either way.
  EXPECT_TRUE(may_retry(status(503), "tools/call", false));
  EXPECT_TRUE(may_retry(Error(ErrorCode::timeout, "timed out"), "ping", false));
  EXPECT_FALSE(may_retry(Error(ErrorCode::timeout, "timed out"), "tools/call", true));
}

}  // namespace
}  // namespace mcpauth::mcp

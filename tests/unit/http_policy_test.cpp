// The command's HTTP policy (app/http_policy): mcp-remote's
// --headers-timeout / --body-timeout on every request.
#include "http_policy.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "scripted_http_client.hpp"

namespace mcpauth::app {
namespace {

using namespace std::chrono_literals;
using test_support::ScriptedHttpClient;

class Collect final : public net::HttpStreamHandler {
 public:
  bool on_response_start(int, const net::HttpHeaders&) override { return true; }
  bool on_body(std::string_view chunk) override {
    body += chunk;
    return true;
  }
  std::string body;
};

TEST(HttpPolicy, NothingToDoLeavesTheClientAsItIs) {
  auto inner = std::make_shared<ScriptedHttpClient>();
  EXPECT_EQ(with_http_policy(inner, {}).get(), inner.get());
}

TEST(HttpPolicy, TheTimeoutsReplaceEachRequestsOwn) {
  auto inner = std::make_shared<ScriptedHttpClient>();
  inner->then(200).then(200, {}, "streamed");
  auto http = with_http_policy(inner, {.headers_timeout = 7s, .body_timeout = 0ms});
  net::HttpRequest request;
  request.url = "https://mcp.example/mcp";
  request.idle_timeout = 5s;
  EXPECT_EQ(http->send(request).status, 200);
  Collect collect;
  http->stream(request, collect);
  EXPECT_EQ(collect.body, "streamed");
  for (const auto& seen : inner->requests()) {
    EXPECT_EQ(seen.headers_timeout, 7s);
    EXPECT_EQ(seen.idle_timeout, 0ms);  // 0: disabled, as mcp-remote's --body-timeout 0
    EXPECT_EQ(seen.total_timeout, request.total_timeout);
  }
  auto only_body = std::make_shared<ScriptedHttpClient>();
  only_body->then(200);
  with_http_policy(only_body, {.headers_timeout = {}, .body_timeout = 300s})->send(request);
  EXPECT_EQ(only_body->requests().at(0).idle_timeout, 300s);
  EXPECT_EQ(only_body->requests().at(0).headers_timeout, 0ms);
}

}  // namespace
}  // namespace mcpauth::app

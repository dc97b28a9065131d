// Session over Streamable HTTP against the MCP TypeScript SDK's own server
// (tests/peers/streamable-server.mjs), stateful and stateless, SSE and JSON answers.
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>

#include "../unit/error_of.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"
#include "peer_process.hpp"
#include "tool_result.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::first_text;
using testing::PeerProcess;

std::vector<std::string> names(const std::vector<mcp::Tool>& tools) {
  std::vector<std::string> out;
  for (const auto& t : tools) out.push_back(t.name);
  return out;
}

struct Mode {
  const char* name;
  std::vector<std::string> args;
};

class StreamableModes : public ::testing::TestWithParam<Mode> {};

TEST_P(StreamableModes, ListsAndCallsToolsIncludingAMegabyteResult) {
  PeerProcess peer("streamable-server.mjs", GetParam().args);
  auto session = mcp::Session::connect({.url = peer.url(), .transport = mcp::TransportKind::streamable_http});
  EXPECT_EQ(session->transport_kind(), "streamable-http");
  EXPECT_FALSE(session->modern());
  EXPECT_EQ(session->server().protocol_version, "2025-11-25");

  const auto tools = session->list_tools();
  const auto tool_names = names(tools);
  for (const char* expected : {"echo", "add", "big", "progress", "fail"}) {
    EXPECT_NE(std::find(tool_names.begin(), tool_names.end(), expected), tool_names.end()) << expected;
  }
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "héllo \"world\""}})), "héllo \"world\"");
  EXPECT_EQ(first_text(session->call_tool("add", {{"a", 2}, {"b", 40}})), "42");

  const auto big = session->call_tool("big", {{"bytes", 1'500'000}});
  const std::string text = first_text(big);
  EXPECT_EQ(text.size(), 1'500'000u);
  EXPECT_EQ(text.find_first_not_of('x'), std::string::npos);

  const auto failed = session->call_tool("fail", Json::object());
  EXPECT_TRUE(failed.is_error());
  session->close();
}

INSTANTIATE_TEST_SUITE_P(Peers, StreamableModes,
                         ::testing::Values(Mode{"stateful_sse", {}}, Mode{"stateless_sse", {"--stateless"}},
                                           Mode{"stateful_json", {"--json-response"}},
                                           Mode{"stateless_json", {"--stateless", "--json-response"}}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StreamableHttp, FollowsPaginationAcrossPages) {
  PeerProcess peer("streamable-server.mjs", {"--page-size", "2", "--extra-tools", "7"});
  auto session = mcp::Session::connect({.url = peer.url()});
  const auto tools = session->list_tools();
  EXPECT_EQ(tools.size(), 7u + 7u);  // seven regular tools and seven extra ones, over seven pages
  auto tool_names = names(tools);
  std::sort(tool_names.begin(), tool_names.end());
  EXPECT_EQ(std::adjacent_find(tool_names.begin(), tool_names.end()), tool_names.end()) << "no tool twice";
}

TEST(StreamableHttp, DeliversProgressAndLogNotificationsFromTheResponseStream) {
  PeerProcess peer("streamable-server.mjs");
  std::mutex mutex;
  std::vector<std::string> methods;
  mcp::SessionOptions options{.url = peer.url()};
  options.on_notification = [&](const std::string& method, const Json&) {
    std::lock_guard lock(mutex);
    methods.push_back(method);
  };
  auto session = mcp::Session::connect(std::move(options));
  const Json result = session->request(
      "tools/call", {{"name", "progress"}, {"arguments", {{"steps", 3}}}, {"_meta", {{"progressToken", "p1"}}}});
  EXPECT_EQ(result.at("content").at(0).at("text"), "done 3");
  std::lock_guard lock(mutex);
  EXPECT_EQ(std::count(methods.begin(), methods.end(), "notifications/progress"), 3);
  EXPECT_EQ(std::count(methods.begin(), methods.end(), "notifications/message"), 3);
}

TEST(StreamableHttp, ReceivesServerInitiatedNotificationsOnTheGetStream) {
  PeerProcess peer("streamable-server.mjs");
  std::mutex mutex;
  std::condition_variable cv;
  bool list_changed = false;
  mcp::SessionOptions options{.url = peer.url()};
  options.on_notification = [&](const std::string& method, const Json&) {
    if (method != "notifications/tools/list_changed") return;
    std::lock_guard lock(mutex);
    list_changed = true;
    cv.notify_all();
  };
  auto session = mcp::Session::connect(std::move(options));
  session->call_tool("notify_later", {{"delay_ms", 200}});
  std::unique_lock lock(mutex);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return list_changed; }))
      << "the list_changed notification never arrived on the GET stream";
}

TEST(StreamableHttp, RefusesAServerThatRequiresAHeaderWeDoNotSend) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer s3cret"});
  const Error e = mcpauth::testing::error_of([&] { mcp::Session::connect({.url = peer.url()}); });
  EXPECT_EQ(e.code(), ErrorCode::unauthorized);
  EXPECT_NE(std::string(e.what()).find("401"), std::string::npos);
}

TEST(StreamableHttp, SendsStaticHeadersOnEveryRequest) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer s3cret"});
  mcp::SessionOptions options{.url = peer.url()};
  options.authorizer = std::make_shared<mcp::StaticHeaders>(net::HttpHeaders{{"Authorization", "Bearer s3cret"}});
  auto session = mcp::Session::connect(std::move(options));
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "ok"}})), "ok");
}

TEST(StreamableHttp, OffersOlderProtocolVersionsWhenAsked) {
  PeerProcess peer("streamable-server.mjs");
  for (const char* version : {"2025-03-26", "2025-06-18"}) {
    auto session = mcp::Session::connect({.url = peer.url(), .protocol_version = version});
    EXPECT_EQ(session->server().protocol_version, version);
    EXPECT_FALSE(session->list_tools().empty());
  }
}

TEST(StreamableHttp, AServerThatIsGoneIsAConnectionError) {
  std::string url;
  {
    PeerProcess peer("streamable-server.mjs");
    url = peer.url();
  }
  const Error e = mcpauth::testing::error_of([&] { mcp::Session::connect({.url = url}); });
  EXPECT_EQ(e.code(), ErrorCode::connection);
  EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << "the message names the URL";
}

// The server restarts on the same port and forgets the session (404 on its
// id): the specification says the client MUST start a new one; the request
// that found the session gone is sent again in it.
TEST(StreamableHttp, AForgottenSessionIsReplacedAndTheRequestSentAgain) {
  auto peer = std::make_unique<PeerProcess>("streamable-server.mjs");
  const int port = peer->port();
  auto session = mcp::Session::connect({.url = peer->url(), .transport = mcp::TransportKind::streamable_http});
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "before"}})), "before");

  peer.reset();
  peer =
      std::make_unique<PeerProcess>("streamable-server.mjs", std::vector<std::string>{"--port", std::to_string(port)});
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "after"}})), "after");
  EXPECT_FALSE(session->list_tools().empty());
  EXPECT_EQ(session->server().protocol_version, "2025-11-25");
}

}  // namespace
}  // namespace mcpauth

// Session over the 2024-11-05 HTTP+SSE transport against the SDK's
// SSEServerTransport (tests/peers/sse-server.mjs), and the auto fallback.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "mcpauth/core/url.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "peer_process.hpp"
#include "tool_result.hpp"

namespace mcpauth {
namespace {

using testing::first_text;
using testing::PeerProcess;

TEST(LegacySse, ListsAndCallsToolsOverTheExplicitTransport) {
  PeerProcess peer("sse-server.mjs");
  auto session = mcp::Session::connect({.url = peer.url("/sse"), .transport = mcp::TransportKind::sse});
  EXPECT_EQ(session->transport_kind(), "sse");
  EXPECT_GE(session->list_tools().size(), 5u);
  EXPECT_EQ(first_text(session->call_tool("add", {{"a", 1.5}, {"b", 2}})), "3.5");
  const auto big = first_text(session->call_tool("big", {{"bytes", 1'200'000}}));
  EXPECT_EQ(big.size(), 1'200'000u);
}

TEST(LegacySse, AutoFallsBackFromStreamableHttp) {
  PeerProcess peer("sse-server.mjs");
  auto session = mcp::Session::connect({.url = peer.url("/sse")});
  EXPECT_EQ(session->transport_kind(), "sse");
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "via fallback"}})), "via fallback");
}

// Forwards to libcurl, keeping "METHOD path" of every request.
class RecordingHttpClient final : public net::HttpClient {
 public:
  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    note(request);
    return real_.send(request, cancel);
  }
  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    note(request);
    real_.stream(request, handler, cancel);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void note(const net::HttpRequest& request) {
    std::lock_guard lock(mutex_);
    seen_.push_back(request.method + " " + core::parse_url(request.url).path);
  }
  net::CurlHttpClient real_;
  std::mutex mutex_;
  std::vector<std::string> seen_;
};

// Issue 11 item 17: the fallback costs a refused POST the first time only;
// a session given what the first one found opens the event stream at once.
TEST(LegacySse, ARememberedLegacyServerGetsItsTransportFirst) {
  PeerProcess peer("sse-server.mjs");
  mcp::ProtocolMemory memory;
  {
    auto http = std::make_shared<RecordingHttpClient>();
    auto first = mcp::Session::connect({.url = peer.url("/sse"), .http = http});
    memory = first->protocol_memory();
    EXPECT_EQ(memory, (mcp::ProtocolMemory{first->server().protocol_version, "sse"}));
    EXPECT_FALSE(memory.protocol_version.empty());
    ASSERT_FALSE(http->seen().empty());
    EXPECT_EQ(http->seen().front(), "POST /sse");  // the Streamable HTTP attempt, refused with 405
  }
  auto http = std::make_shared<RecordingHttpClient>();
  auto again = mcp::Session::connect({.url = peer.url("/sse"), .http = http, .remembered = memory});
  EXPECT_EQ(again->transport_kind(), "sse");
  EXPECT_EQ(first_text(again->call_tool("echo", {{"text", "remembered"}})), "remembered");
  ASSERT_FALSE(http->seen().empty());
  EXPECT_EQ(http->seen().front(), "GET /sse");
  for (const auto& request : http->seen()) EXPECT_NE(request, "POST /sse");
}

// A server remembered as legacy SSE that now speaks Streamable HTTP is found the usual way.
TEST(LegacySse, ARememberedLegacyServerThatMovedIsFoundAgain) {
  PeerProcess peer("streamable-server.mjs");
  auto session = mcp::Session::connect({.url = peer.url(), .remembered = mcp::ProtocolMemory{"2024-11-05", "sse"}});
  EXPECT_EQ(session->transport_kind(), "streamable-http");
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "moved"}})), "moved");
}

TEST(LegacySse, HttpOnlyDoesNotFallBack) {
  PeerProcess peer("sse-server.mjs");
  try {
    mcp::Session::connect({.url = peer.url("/sse"), .transport = mcp::TransportKind::streamable_http});
    FAIL() << "expected an HTTP status error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::http_status);
  }
}

TEST(LegacySse, NeverFallsBackOnUnauthorized) {
  PeerProcess peer("sse-server.mjs", {"--require-header", "Authorization: Bearer t"});
  try {
    mcp::Session::connect({.url = peer.url("/sse")});
    FAIL() << "expected an authorization error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unauthorized) << e.what();
  }
}

TEST(LegacySse, RefusesAnEndpointOnAnotherOrigin) {
  PeerProcess peer("sse-server.mjs", {"--endpoint-origin", "http://127.0.0.2:9"});
  try {
    mcp::Session::connect({.url = peer.url("/sse"), .transport = mcp::TransportKind::sse});
    FAIL() << "expected a protocol error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
    EXPECT_NE(std::string(e.what()).find("another origin"), std::string::npos) << e.what();
  }
}

TEST(LegacySse, PaginatesToo) {
  PeerProcess peer("sse-server.mjs", {"--page-size", "2", "--extra-tools", "3"});
  auto session = mcp::Session::connect({.url = peer.url("/sse"), .transport = mcp::TransportKind::sse});
  EXPECT_EQ(session->list_tools().size(), 10u);
}

}  // namespace
}  // namespace mcpauth

// Session over the 2024-11-05 HTTP+SSE transport against the SDK's
// SSEServerTransport (tests/peers/sse-server.mjs), and the auto fallback.
#include <gtest/gtest.h>

#include "mcpauth/mcp/session.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::PeerProcess;

std::string first_text(const mcp::ToolCallResult& r) {
  return r.result.at("content").at(0).at("text");
}

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

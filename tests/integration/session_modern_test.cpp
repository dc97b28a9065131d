// The 2026-07-28 (stateless, server/discover) revision against the v2
// TypeScript server package (tests/peers/modern/modern-server.mjs).
#include <gtest/gtest.h>

#include "mcpauth/mcp/session.hpp"
#include "peer_process.hpp"
#include "tool_result.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::first_text;
using testing::PeerProcess;

TEST(Modern, DiscoversAModernOnlyServerAndCallsTools) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  auto session = mcp::Session::connect({.url = peer.url()});
  EXPECT_TRUE(session->modern());
  EXPECT_EQ(session->server().protocol_version, "2026-07-28");
  EXPECT_EQ(session->server().implementation.name, "mcpauth-modern-peer");
  EXPECT_EQ(session->list_tools().size(), 9u);  // modern-server.mjs registers nine
  EXPECT_EQ(first_text(session->call_tool("echo", {{"text", "ünïcode name-safe"}})), "ünïcode name-safe");
  EXPECT_EQ(first_text(session->call_tool("big", {{"bytes", 1'000'000}})).size(), 1'000'000u);
}

TEST(Modern, PrefersTheModernEraOnADualEraServer) {
  PeerProcess peer("modern/modern-server.mjs");
  auto session = mcp::Session::connect({.url = peer.url()});
  EXPECT_TRUE(session->modern());
}

TEST(Modern, SpeaksTheLegacyHandshakeWhenAskedForAnOlderVersion) {
  PeerProcess peer("modern/modern-server.mjs");
  auto session = mcp::Session::connect({.url = peer.url(), .protocol_version = "2025-06-18"});
  EXPECT_FALSE(session->modern());
  EXPECT_EQ(session->server().protocol_version, "2025-06-18");
  EXPECT_EQ(first_text(session->call_tool("add", {{"a", 2}, {"b", 3}})), "5");
}

TEST(Modern, AModernOnlyServerRefusesTheLegacyHandshakeClearly) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  try {
    mcp::Session::connect({.url = peer.url(), .protocol_version = "2025-11-25"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::rpc_error) << e.what();
    EXPECT_NE(std::string(e.what()).find("Unsupported protocol version"), std::string::npos) << e.what();
  }
}

TEST(Modern, DeliversProgressNotifications) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  std::atomic<int> progress{0};
  mcp::SessionOptions options{.url = peer.url()};
  options.on_notification = [&](const std::string& method, const Json&) {
    if (method == "notifications/progress") ++progress;
  };
  auto session = mcp::Session::connect(std::move(options));
  const Json result = session->request(
      "tools/call", {{"name", "progress"}, {"arguments", {{"steps", 4}}}, {"_meta", {{"progressToken", 7}}}});
  EXPECT_EQ(result.at("content").at(0).at("text"), "done 4");
  EXPECT_EQ(progress.load(), 4);
}

// Issue 11 item 17: a dual-era server is discovered as modern (above); one
// remembered as speaking the initialize handshake gets initialize at once.
TEST(Modern, ARememberedLegacyEraSkipsTheDiscoverProbe) {
  PeerProcess peer("modern/modern-server.mjs");
  auto session = mcp::Session::connect({.url = peer.url(), .remembered = {"2025-11-25", "streamable-http"}});
  EXPECT_FALSE(session->modern());
  EXPECT_EQ(session->server().protocol_version, "2025-11-25");
  EXPECT_EQ(session->protocol_memory(), (mcp::ProtocolMemory{"2025-11-25", "streamable-http"}));
  EXPECT_EQ(first_text(session->call_tool("add", {{"a", 2}, {"b", 3}})), "5");
}

// A server remembered as legacy that now refuses the handshake is discovered again.
TEST(Modern, ARememberedLegacyServerThatMovedToTheModernEraIsFoundAgain) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  auto session = mcp::Session::connect({.url = peer.url(), .remembered = {"2025-11-25", "streamable-http"}});
  EXPECT_TRUE(session->modern());
  EXPECT_EQ(session->protocol_memory(), (mcp::ProtocolMemory{"2026-07-28", "streamable-http"}));
  EXPECT_EQ(session->list_tools().size(), 9u);  // modern-server.mjs registers nine
}

TEST(Modern, LegacyServersAreDetectedAndGetTheHandshake) {
  PeerProcess peer("streamable-server.mjs", {"--stateless"});
  auto session = mcp::Session::connect({.url = peer.url()});
  EXPECT_FALSE(session->modern());
  EXPECT_EQ(session->server().protocol_version, "2025-11-25");
}

}  // namespace
}  // namespace mcpauth

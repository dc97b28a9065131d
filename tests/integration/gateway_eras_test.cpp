// `mcpauth gateway` between a local client of the handshake era (mcpauth's
// own Session offering 2025-11-25: initialize, server requests) and the v2
// TypeScript SDK's server speaking only 2026-07-28: the gateway session's
// Bridge discovers the server, answers the initialize, and turns the
// server's input-required results into requests to the local client.
#include <gtest/gtest.h>

#include "gateway_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::GatewayProcess;
using testing::PeerProcess;
using testing::write_config;

TEST(GatewayEras, AHandshakeClientUsesAServerThatSpeaksOnly20260728) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  GatewayProcess gw(write_config("eras-bridge", {{"modern", {{"url", peer.url()}}}}));

  mcp::SessionOptions options;
  options.url = gw.url("/servers/modern/mcp");
  options.transport = mcp::TransportKind::streamable_http;
  options.protocol_version = "2025-11-25";
  options.request_timeout = std::chrono::seconds(30);
  options.capabilities = mcp::Json{{"elicitation", mcp::Json::object()}, {"roots", mcp::Json::object()}};
  std::vector<std::string> asked;
  options.on_request = [&](const std::string& method, const mcp::Json&) -> mcp::Json {
    asked.push_back(method);
    if (method == "elicitation/create") return {{"action", "accept"}, {"content", {{"name", "Ada"}}}};
    if (method == "roots/list") return {{"roots", {{{"uri", "file:///work"}, {"name", "work"}}}}};
    throw mcp::RpcError("unexpected", "", -32601, nullptr);
  };
  auto session = mcp::Session::connect(options);
  EXPECT_FALSE(session->modern()) << "the client speaks the handshake; the gateway translates";
  EXPECT_EQ(session->server().implementation.name, "mcpauth-modern-peer");
  EXPECT_EQ(session->call_tool("add", {{"a", 2}, {"b", 3}}).result["content"][0]["text"], "5");
  EXPECT_EQ(session->call_tool("greet", mcp::Json::object()).result["content"][0]["text"], "hello Ada in file:///work");
  EXPECT_EQ(asked, (std::vector<std::string>{"elicitation/create", "roots/list"}));
  session->close();
}

}  // namespace
}  // namespace mcpauth

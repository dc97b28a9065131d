// SEP-2322 multi round-trip requests against the v2 TypeScript server
// package (tests/peers/modern/modern-server.mjs, tool "greet"): its
// inputRequired() results are answered through on_request, and its
// requestState and input responses come back as the SDK reads them.
#include <gtest/gtest.h>

#include <vector>

#include "mcpauth/mcp/session.hpp"
#include "peer_process.hpp"
#include "tool_result.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::first_text;
using testing::PeerProcess;

mcp::SessionOptions options_for(const PeerProcess& peer, std::vector<std::string>& asked) {
  mcp::SessionOptions options;
  options.url = peer.url();
  options.capabilities = {{"elicitation", Json::object()}, {"roots", Json::object()}};
  options.on_request = [&asked](const std::string& method, const Json&) -> Json {
    asked.push_back(method);
    if (method == "roots/list") return {{"roots", Json::array({{{"uri", "file:///work"}, {"name", "work"}}})}};
    if (method == "elicitation/create") return {{"action", "accept"}, {"content", {{"name", "Ada"}}}};
    throw mcp::RpcError("not offered", "", -32601, nullptr);
  };
  return options;
}

TEST(ModernInputRequired, ASessionAnswersEachRoundAndGetsTheCompleteResult) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  std::vector<std::string> asked;
  auto session = mcp::Session::connect(options_for(peer, asked));
  ASSERT_TRUE(session->modern());
  EXPECT_EQ(first_text(session->call_tool("greet", Json::object())), "hello Ada in file:///work");
  EXPECT_EQ(asked, (std::vector<std::string>{"elicitation/create", "roots/list"}));
}

TEST(ModernInputRequired, AClientWithoutAHandlerFailsTheCallClearly) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  std::vector<std::string> asked;
  mcp::SessionOptions options = options_for(peer, asked);
  options.on_request = nullptr;
  auto session = mcp::Session::connect(std::move(options));
  try {
    session->call_tool("greet", Json::object());
    FAIL() << "expected the call to fail";
  } catch (const mcp::RpcError& e) {
    EXPECT_EQ(e.rpc_code(), -32601);
    EXPECT_NE(std::string(e.what()).find("elicitation/create"), std::string::npos) << e.what();
  }
  EXPECT_EQ(first_text(session->call_tool("add", {{"a", 2}, {"b", 3}})), "5") << "the session is still usable";
}

}  // namespace
}  // namespace mcpauth

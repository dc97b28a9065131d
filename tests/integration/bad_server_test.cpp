// A server that misbehaves on purpose (tests/peers/bad-server.mjs): every
// case must end in a clear mcpauth::Error, never a crash or a hang.
#include <gtest/gtest.h>

#include "../unit/error_of.hpp"
#include "mcpauth/mcp/session.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::PeerProcess;

struct BadCase {
  const char* mode;
  ErrorCode expected;
  const char* message_part;
};

class BadServer : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadServer, GivesAClearErrorAfterInitialize) {
  const BadCase& c = GetParam();
  PeerProcess peer("bad-server.mjs", {"--mode", c.mode, "--after-initialize"});
  mcp::SessionOptions options{.url = peer.url()};
  options.protocol_version = "2025-11-25";  // straight to the handshake the bad server answers
  options.request_timeout = std::chrono::milliseconds(1500);
  options.max_message_bytes = 1u << 20;
  auto session = mcp::Session::connect(std::move(options));
  const Error e = mcpauth::testing::error_of([&] { session->list_tools(); });
  EXPECT_EQ(e.code(), c.expected) << e.what();
  EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(peer.url()), std::string::npos) << "names the URL: " << e.what();
}

INSTANTIATE_TEST_SUITE_P(Modes, BadServer,
                         ::testing::Values(BadCase{"malformed-json", ErrorCode::protocol, "not valid JSON"},
                                           BadCase{"truncated-sse", ErrorCode::protocol, "in the middle of an event"},
                                           BadCase{"oversized-event", ErrorCode::response_too_large, "limit"},
                                           BadCase{"wrong-content-type", ErrorCode::protocol, "text/html"},
                                           BadCase{"slow", ErrorCode::timeout, "timed out"},
                                           BadCase{"status-500", ErrorCode::http_status, "HTTP 500"},
                                           BadCase{"not-json-rpc", ErrorCode::protocol, "invalid JSON-RPC"},
                                           BadCase{"error-response", ErrorCode::rpc_error, "Method not found"}),
                         [](const auto& info) {
                           std::string name = info.param.mode;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(BadServerConnect, MalformedAnswerToTheFirstRequestFailsTheConnection) {
  PeerProcess peer("bad-server.mjs", {"--mode", "malformed-json"});
  const Error e = mcpauth::testing::error_of([&] { mcp::Session::connect({.url = peer.url()}); });
  EXPECT_EQ(e.code(), ErrorCode::protocol) << e.what();
}

// A web site where an MCP endpoint was expected (a wrong path): the error
// says so and names the usual paths instead of quoting the page.
TEST(BadServerConnect, AWebPageIsNamedNotQuotedAndTheUsualPathsSuggested) {
  PeerProcess peer("bad-server.mjs", {"--mode", "web-page"});
  for (const auto transport :
       {mcp::TransportKind::automatic, mcp::TransportKind::streamable_http, mcp::TransportKind::sse}) {
    SCOPED_TRACE(std::string(mcp::to_string(transport)));
    const Error e =
        mcpauth::testing::error_of([&] { mcp::Session::connect({.url = peer.url(), .transport = transport}); });
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::http_status) << what;
    EXPECT_NE(what.find("HTTP 404 with an HTML page, not an MCP endpoint"), std::string::npos) << what;
    EXPECT_NE(what.find("/mcp"), std::string::npos) << what;
    EXPECT_NE(what.find("/sse"), std::string::npos) << what;
    EXPECT_EQ(what.find("<html"), std::string::npos) << "the page is not quoted: " << what;
    EXPECT_EQ(what.find("Not Found</h1>"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace mcpauth

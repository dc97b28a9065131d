// A server that misbehaves on purpose (tests/peers/bad-server.mjs): every
// case must end in a clear mcpauth::Error, never a crash or a hang.
#include <gtest/gtest.h>

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
  try {
    session->list_tools();
    FAIL() << "expected an error for mode " << c.mode;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), c.expected) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(peer.url()), std::string::npos) << "names the URL: " << e.what();
  }
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
  try {
    mcp::Session::connect({.url = peer.url()});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol) << e.what();
  }
}

}  // namespace
}  // namespace mcpauth

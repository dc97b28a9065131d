// `mcpauth proxy` driven the way a stdio MCP host drives it: JSON-RPC lines
// on stdin, answers and server messages as lines on stdout (and nothing
// else there), against real servers over both transports and through OAuth.
#include <gtest/gtest.h>

#include <sstream>

#include "mcpauth/core/jsonrpc.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::browser;
using testing::cli;
using testing::InteractiveCommand;
using testing::PeerProcess;

const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
    R"("clientInfo":{"name":"host","version":"1"}}})"
    "\n";
const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                                 "\n";

std::string call(int id, const std::string& tool, const std::string& arguments) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"tools/call","params":{"name":")" + tool +
         R"(","arguments":)" + arguments + "}}\n";
}

// Every stdout line is one JSON-RPC message: the host's stream stays clean.
void expect_only_protocol_lines(const std::string& out) {
  std::istringstream lines(out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_NO_THROW(core::jsonrpc::parse(line)) << line;
    ++count;
  }
  EXPECT_GT(count, 0);
}

void run_session(InteractiveCommand& proxy) {
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(call(2, "progress", R"({"steps":2})"));
  proxy.write_stdin(call(3, "echo", R"({"text":"through the proxy"})"));
  proxy.wait_for_stdout(R"("id":3,[^\n]*through the proxy)");
  proxy.wait_for_stdout(R"("id":2,[^\n]*done 2)");
  EXPECT_NE(proxy.out().find(R"("method":"notifications/message")"), std::string::npos) << proxy.out();
}

TEST(Proxy, BridgesStreamableHttpBothWaysAndEndsWithStdin) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  run_session(proxy);
  // A notification the server sends later, on its own stream, reaches the host too.
  proxy.write_stdin(call(4, "notify_later", R"({"delay_ms":10})"));
  proxy.wait_for_stdout(R"("method":"notifications/tools/list_changed")");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_only_protocol_lines(r.out);
}

TEST(Proxy, FallsBackToLegacySse) {
  PeerProcess peer("sse-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url("/sse")}));
  run_session(proxy);
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_only_protocol_lines(r.out);
}

// mcp-remote's --transport names: sse-first finds no event stream on a
// Streamable HTTP server and uses Streamable HTTP.
TEST(Proxy, SseFirstFallsForwardToStreamableHttp) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", "--transport", "sse-first", peer.url()}));
  run_session(proxy);
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_only_protocol_lines(r.out);
}

TEST(Proxy, IgnoredToolsAreHiddenAndRefused) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--ignore-tool", "ec*", "--ignore-tool", "fail"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"
                    "\n");
  const std::string list = proxy.wait_for_stdout(R"((\{[^\n]*"id":2,[^\n]*\}))");
  EXPECT_EQ(list.find(R"("name":"echo")"), std::string::npos) << list;
  EXPECT_EQ(list.find(R"("name":"fail")"), std::string::npos) << list;
  EXPECT_NE(list.find(R"("name":"add")"), std::string::npos) << list;
  proxy.write_stdin(call(3, "echo", R"({"text":"x"})"));
  proxy.wait_for_stdout(
      R"("code":-32602,"message":"mcpauth proxy: the tool echo is hidden by --ignore-tool"\},"id":3)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Proxy, StaticClientInfoMustBeAJsonObjectAndIsNeverEchoed) {
  PeerProcess peer("oidc-server.mjs");
  auto r = testing::run_command(
      cli({"proxy", peer.url(), "--static-oauth-client-info", R"({"client_id":"c","client_secret": s3cr3t})"}),
      {"BROWSER="});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.find("s3cr3t"), std::string::npos) << r.err;
  r = testing::run_command(cli({"proxy", peer.url(), "--static-oauth-client-info", "@/nonexistent/client.json"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot read /nonexistent/client.json"), std::string::npos) << r.err;
}

TEST(Proxy, AnswersWhatItCannotForwardWithJsonRpcErrors) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  proxy.write_stdin("this is not json\n");
  proxy.wait_for_stdout(R"("code":-32700)");
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  peer.stop();  // the server goes away: the host gets an answer, not silence
  proxy.write_stdin(call(2, "echo", R"({"text":"x"})"));
  proxy.wait_for_stdout(R"("data":\{"mcpauth_error":"connection"\},[^\n]*"id":2)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("this is not json"), std::string::npos) << "input is never echoed";
  expect_only_protocol_lines(r.out);
}

// The server goes away and comes back (same port, no memory of the
// session): meanwhile the host gets errors, afterwards the proxy opens a new
// session with the host's own initialize and carries on.
TEST(Proxy, RecoversWhenTheServerComesBackWithoutTheSession) {
  auto peer = std::make_unique<PeerProcess>("streamable-server.mjs");
  const int port = peer->port();
  const std::string url = peer->url();
  InteractiveCommand proxy(cli({"proxy", url}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(call(2, "echo", R"({"text":"before"})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*before)");

  peer.reset();
  proxy.write_stdin(call(3, "echo", R"({"text":"while away"})"));
  proxy.wait_for_stdout(R"("mcpauth_error":"connection"\},[^\n]*"id":3)");

  peer =
      std::make_unique<PeerProcess>("streamable-server.mjs", std::vector<std::string>{"--port", std::to_string(port)});
  proxy.write_stdin(call(4, "echo", R"({"text":"after"})"));
  proxy.wait_for_stdout(R"("id":4,[^\n]*after)");
  proxy.wait_for_stderr("starting a new one");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("mcpauth-proxy-reinitialize"), std::string::npos) << "the proxy's own handshake stays its own";
  expect_only_protocol_lines(r.out);
}

TEST(Proxy, AuthorizesWhileTheHostsInitializeWaits) {
  PeerProcess peer("oidc-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url()}), {"BROWSER=" + browser()});
  run_session(proxy);
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Authorized by"), std::string::npos) << r.err;  // progress on stderr, not stdout
  expect_only_protocol_lines(r.out);
}

}  // namespace
}  // namespace mcpauth

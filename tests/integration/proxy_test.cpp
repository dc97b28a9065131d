// `mcpauth proxy` driven the way a stdio MCP host drives it: JSON-RPC lines
// on stdin, answers and server messages as lines on stdout (and nothing
// else there), against real servers over both transports and through OAuth.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "mcpauth/core/jsonrpc.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "platform/files.hpp"
#include "platform/process.hpp"
#include "stdio_host_lines.hpp"

namespace mcpauth {
namespace {

using testing::browser;
using testing::cli;
using testing::count_requests;
using testing::describe;
using testing::InteractiveCommand;
using testing::PeerProcess;

using testing::kInitialize;
using testing::kInitialized;
using testing::tool_call;

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
  proxy.write_stdin(tool_call(2, "progress", R"({"steps":2})"));
  proxy.write_stdin(tool_call(3, "echo", R"({"text":"through the proxy"})"));
  proxy.wait_for_stdout(R"("id":3,[^\n]*through the proxy)");
  proxy.wait_for_stdout(R"("id":2,[^\n]*done 2)");
  EXPECT_NE(proxy.out().find(R"("method":"notifications/message")"), std::string::npos) << proxy.out();
}

TEST(Proxy, BridgesStreamableHttpBothWaysAndEndsWithStdin) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  run_session(proxy);
  // A notification the server sends later, on its own stream, reaches the host too.
  proxy.write_stdin(tool_call(4, "notify_later", R"({"delay_ms":10})"));
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

// Issue 11 item 18: over legacy SSE the answer to a call comes on the event
// stream. When the server dies with a call in flight, the proxy answers it
// with an error at once (not after --timeout, here 10 minutes), and when the
// server is back the next call works: the new session's initialize is
// answered on the new stream, and the proxy waits for that answer.
TEST(Proxy, LegacySseCallsInFlightWhenTheServerDiesAreAnsweredAndTheNextCallWorks) {
  auto peer = std::make_unique<PeerProcess>("sse-server.mjs");
  const int port = peer->port();
  InteractiveCommand proxy(
      cli({"proxy", "--transport", "sse-only", peer->url("/sse"), "--timeout", "600", "--retry-budget", "120"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "progress", R"({"steps":10000,"delay_ms":50})"));
  proxy.wait_for_stdout(R"("method":"notifications/message")");  // the call is in flight
  peer.reset();
  proxy.wait_for_stdout(R"(\{"error":[^\n]*"id":2,)", std::chrono::seconds(60));

  peer = std::make_unique<PeerProcess>("sse-server.mjs", std::vector<std::string>{"--port", std::to_string(port)});
  proxy.write_stdin(tool_call(3, "echo", R"({"text":"after the restart"})"));
  proxy.wait_for_stdout(R"("id":3,[^\n]*after the restart)", std::chrono::seconds(60));
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("did not answer the new initialize"), std::string::npos) << r.err;
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
  const std::string list = testing::handshake_and_list_tools(proxy);
  EXPECT_EQ(list.find(R"("name":"echo")"), std::string::npos) << list;
  EXPECT_EQ(list.find(R"("name":"fail")"), std::string::npos) << list;
  EXPECT_NE(list.find(R"("name":"add")"), std::string::npos) << list;
  proxy.write_stdin(tool_call(3, "echo", R"({"text":"x"})"));
  proxy.wait_for_stdout(
      R"re("code":-32602,"message":"mcpauth: the tool echo is hidden \(an ignored tool\)"\},"id":3)re");
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
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--retry-budget", "0"}));
  proxy.write_stdin("this is not json\n");
  proxy.wait_for_stdout(R"("code":-32700)");
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  peer.stop();  // the server goes away: the host gets an answer, not silence
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"x"})"));
  proxy.wait_for_stdout(R"("data":\{"mcpauth_error":"connection"\},[^\n]*"id":2)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("this is not json"), std::string::npos) << "input is never echoed";
  expect_only_protocol_lines(r.out);
}

// Nobody listens on the port from the start: a wrong URL or a server not
// started, not an outage. The host's initialize is answered with an error at
// once instead of waiting out the retry budget, with one line on stderr.
TEST(Proxy, ARefusedFirstConnectionFailsAtOnceWithoutRetrying) {
  auto peer = std::make_unique<PeerProcess>("streamable-server.mjs");
  const std::string url = peer->url();
  peer.reset();  // the port is free again: connections are refused
  for (const char* transport : {"http", "sse"}) {
    InteractiveCommand proxy(cli({"proxy", url, "--transport", transport, "--retry-budget", "600"}));
    proxy.write_stdin(kInitialize);
    proxy.wait_for_stdout(R"("data":\{"mcpauth_error":"connection"\},[^\n]*"id":1)");
    const auto r = proxy.finish();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("trying again"), std::string::npos) << transport << ": " << r.err;
    EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << transport << ": " << r.err;
    expect_only_protocol_lines(r.out);
  }
}

// The server goes away and comes back (same port, no memory of the
// session): meanwhile the host gets errors, afterwards the proxy opens a new
// session with the host's own initialize and carries on.
TEST(Proxy, RecoversWhenTheServerComesBackWithoutTheSession) {
  auto peer = std::make_unique<PeerProcess>("streamable-server.mjs");
  const int port = peer->port();
  const std::string url = peer->url();
  InteractiveCommand proxy(cli({"proxy", url, "--retry-budget", "0"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"before"})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*before)");

  peer.reset();
  proxy.write_stdin(tool_call(3, "echo", R"({"text":"while away"})"));
  proxy.wait_for_stdout(R"("mcpauth_error":"connection"\},[^\n]*"id":3)");

  peer =
      std::make_unique<PeerProcess>("streamable-server.mjs", std::vector<std::string>{"--port", std::to_string(port)});
  proxy.write_stdin(tool_call(4, "echo", R"({"text":"after"})"));
  proxy.wait_for_stdout(R"("id":4,[^\n]*after)");
  proxy.wait_for_stderr("starting a new one");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("mcpauth-bridge-reinitialize"), std::string::npos) << "the proxy's own handshake stays its own";
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

// Within the retry budget nothing is lost: a call the host sends while the
// server is down waits, and is answered once the server is back (in a new
// session, since the restarted server forgot the old one).
TEST(Proxy, ACallSentWhileTheServerIsDownIsAnsweredWhenItReturns) {
  auto peer = std::make_unique<PeerProcess>("streamable-server.mjs");
  const int port = peer->port();
  InteractiveCommand proxy(cli({"proxy", peer->url(), "--retry-budget", "120"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);

  peer.reset();
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"sent while away"})"));
  proxy.wait_for_stderr("trying again in");  // it found the server gone and keeps trying
  peer =
      std::make_unique<PeerProcess>("streamable-server.mjs", std::vector<std::string>{"--port", std::to_string(port)});
  proxy.wait_for_stdout(R"("id":2,[^\n]*sent while away)", std::chrono::seconds(60));
  proxy.write_stdin(tool_call(3, "add", R"({"a":2,"b":3})"));
  proxy.wait_for_stdout(R"("id":3,[^\n]*"text":"5")");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("mcpauth_error"), std::string::npos) << r.out;
  expect_only_protocol_lines(r.out);
}

// The server closes a call's SSE stream in the middle; the transport resumes
// it with Last-Event-ID and the host gets every message exactly once.
TEST(Proxy, AStreamCutInTheMiddleIsResumedWithNothingLostOrTwice) {
  PeerProcess peer("streamable-server.mjs", {"--retry-ms", "50"});
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "progress", R"({"steps":4,"cut_after":2})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*done 4)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (int step = 1; step <= 4; ++step) {
    const std::string data = "\"step " + std::to_string(step) + "/4\"";
    const auto first = r.out.find(data);
    EXPECT_NE(first, std::string::npos) << "step " << step << " lost:\n" << r.out;
    EXPECT_EQ(r.out.find(data, first + 1), std::string::npos) << "step " << step << " twice:\n" << r.out;
  }
  const auto done = r.out.find("done 4");
  EXPECT_EQ(r.out.find("done 4", done + 1), std::string::npos) << r.out;
  expect_only_protocol_lines(r.out);
}

struct TransportCase {
  const char* name;
  const char* script;
  const char* path;
};

class ProxyServerRequests : public ::testing::TestWithParam<TransportCase> {};

// Sampling, elicitation and roots requests from the server reach the host
// with the server's ids, and the host's answers go back to the server.
TEST_P(ProxyServerRequests, ReachTheHostAndTheirAnswersGoBack) {
  PeerProcess peer(GetParam().script);
  InteractiveCommand proxy(cli({"proxy", peer.url(GetParam().path)}));
  proxy.write_stdin(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{"sampling":{},"elicitation":{},"roots":{}},"clientInfo":{"name":"host","version":"1"}}})"
      "\n");
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  struct Ask {
    const char* method;
    const char* result;
    const char* expect;
  };
  const Ask asks[] = {
      {"sampling/createMessage",
       R"({"role":"assistant","content":{"type":"text","text":"hi from the host"},)"
       R"("model":"host-model"})",
       "hi from the host"},
      {"elicitation/create", R"({"action":"accept","content":{"name":"Ada"}})", "Ada"},
      {"roots/list", R"({"roots":[{"uri":"file:///work","name":"work"}]})", "file:///work"},
  };
  int id = 10;
  for (const auto& ask : asks) {
    proxy.write_stdin(tool_call(id, "ask_client", std::string(R"({"method":")") + ask.method + "\"}"));
    const std::string server_id =
        proxy.wait_for_stdout(std::string(R"(\{"id":([^,]+),"jsonrpc":"2.0","method":")") + ask.method + "\"");
    proxy.write_stdin(R"({"jsonrpc":"2.0","id":)" + server_id + R"(,"result":)" + ask.result + "}\n");
    proxy.wait_for_stdout(R"("id":)" + std::to_string(id) + R"(,[^\n]*)" + ask.expect);
    ++id;
  }
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_only_protocol_lines(r.out);
}

INSTANTIATE_TEST_SUITE_P(Transports, ProxyServerRequests,
                         ::testing::Values(TransportCase{"streamable_http", "streamable-server.mjs", "/mcp"},
                                           TransportCase{"legacy_sse", "sse-server.mjs", "/sse"}),
                         [](const auto& info) { return std::string(info.param.name); });

// Hosts restart their stdio servers often. With a stored grant whose access
// token has expired, a burst of proxies refreshes once (single-flight across
// processes) and never opens a browser.
TEST(Proxy, ManyQuickReconnectsWithAnExpiredTokenRefreshOnceAndNeverOpenABrowser) {
  PeerProcess peer("oidc-server.mjs", {"--access-ttl", "2"});
  const auto login = testing::run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  // Wait (observably, with a deadline) until the stored access token has expired.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (testing::run_command(cli({"status", peer.url(), "--json"})).out.find("\"refresh-only\"") ==
         std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the token never expired";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // One expiry is the point: the refreshed token lives long, however slow this machine.
  testing::set_access_ttl(peer, 3600);
  std::vector<std::unique_ptr<InteractiveCommand>> proxies;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) {
      proxies.push_back(std::make_unique<InteractiveCommand>(cli({"proxy", peer.url()}),
                                                             std::vector<std::string>{"BROWSER=/bin/false"}));
      auto& proxy = *proxies.back();
      proxy.write_stdin(kInitialize);
      proxy.write_stdin(kInitialized);
      proxy.write_stdin(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"
                        "\n");
    }
    for (auto& proxy : proxies) proxy->wait_for_stdout(R"("id":2,"jsonrpc":"2.0","result":\{"tools")");
    for (auto& proxy : proxies) {
      const auto r = proxy->finish();
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    proxies.clear();
  }
  const auto requests = testing::as_requests(peer);
  EXPECT_EQ(count_requests(requests, "/oidc/token", "refresh_token"), 1) << describe(requests);
  EXPECT_EQ(count_requests(requests, "/oidc/auth"), 1) << "only the login's browser flow:\n" << describe(requests);
}

// Hosts often swallow a stdio server's stderr: --log keeps the diagnostics
// in a private file as well, stamped, and stdout stays protocol-only.
TEST(Proxy, LogFileGetsTheDiagnosticsPrivately) {
  PeerProcess peer("streamable-server.mjs");
  const std::string log = testing::test_home() + "/proxy-" + std::to_string(test_platform::current_pid()) + ".log";
  std::remove(log.c_str());
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--retry-budget", "0", "--log", log}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  peer.stop();
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"x"})"));
  proxy.wait_for_stdout(R"("mcpauth_error":"connection")");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("cannot connect"), std::string::npos) << text.str();
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << "still on stderr too: " << r.err;
  EXPECT_TRUE(std::regex_search(text.str(), std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[\d+\] mcpauth proxy: )")))
      << text.str();
  ASSERT_TRUE(std::filesystem::exists(log)) << log;
  EXPECT_EQ(test_platform::mode_of(log), 0600u);
  expect_only_protocol_lines(r.out);
}

// A consent nobody gives: the host's pings are answered meanwhile, and the
// waiting initialize ends with an error that says what happened.
TEST(Proxy, AStuckConsentDoesNotBlockPingsAndTimesOutWithAnError) {
  PeerProcess peer("oidc-server.mjs");
  // A "browser" that opens nothing: the consent never comes.
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--consent-timeout", "3"}), {"BROWSER=/bin/true"});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stderr("authoriz");  // the flow has started
  proxy.write_stdin(R"({"jsonrpc":"2.0","id":"p1","method":"ping"})"
                    "\n");
  proxy.wait_for_stdout(R"("id":"p1","jsonrpc":"2.0","result":\{\})");
  EXPECT_EQ(proxy.out().find(R"("id":1,)"), std::string::npos) << "initialize is still waiting: " << proxy.out();
  // The typed detail for programs; the library's words, then the command's hint, for people.
  proxy.wait_for_stdout(
      R"re("data":\{"mcpauth_detail":\{"remedies":\["retry","open_url_manually","pre_register_client"\]\},)re"
      R"re("mcpauth_error":"consent_timeout"\},"message":"mcpauth: nobody completed the authorization)re"
      R"re([^\n]*\(hint: run the command again;[^\n]*--client-id[^\n]*"id":1)re",
      std::chrono::seconds(60));
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_only_protocol_lines(r.out);
}

// The host went away (its input ended) while the user was being asked: the
// consent ends at once, the waiting initialize is answered "cancelled", and
// the proxy exits instead of waiting out the consent timeout (300 s here:
// finish() gives up long before, so a proxy that waited fails the test).
TEST(Proxy, TheEndOfInputEndsAConsentInProgress) {
  PeerProcess peer("oidc-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url()}), {"BROWSER=/bin/true"});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stderr("Authorize mcpauth for");  // the user is being asked
  proxy.close_stdin();
  const auto r = proxy.finish(std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"re("mcpauth_error":"cancelled"[^\n]*"id":1)re"))) << r.out;
  expect_only_protocol_lines(r.out);
}

// A grant revoked mid-session: the next call needs a new consent. While the
// user is asked, the host's pings are answered (the server's answers wait
// for the consent, the proxy's do not), and the end of input ends the
// consent and answers the waiting call.
TEST(Proxy, AMidSessionConsentLeavesPingsAnsweredAndEndsWithTheInput) {
  PeerProcess peer("oidc-server.mjs");
  // No offline_access, so no refresh token: a refused token needs the user.
  const auto login = testing::run_command(cli({"login", peer.url(), "--scope", "mcp:tools"}), {"BROWSER=" + browser()});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  InteractiveCommand proxy(cli({"proxy", peer.url()}), {"BROWSER=/bin/true"});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"before"})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*before)");
  testing::reject_issued_tokens(peer);
  proxy.write_stdin(tool_call(3, "echo", R"({"text":"after"})"));
  proxy.wait_for_stderr("Authorize mcpauth for");  // the user is being asked again
  proxy.write_stdin(R"({"jsonrpc":"2.0","id":"p1","method":"ping"})"
                    "\n");
  proxy.wait_for_stdout(R"("id":"p1","jsonrpc":"2.0","result":\{\})");
  EXPECT_EQ(proxy.out().find(R"("id":3,)"), std::string::npos) << "the call waits for the consent: " << proxy.out();
  proxy.close_stdin();
  const auto r = proxy.finish(std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"re("mcpauth_error":"cancelled"[^\n]*"id":3)re"))) << r.out;
  EXPECT_EQ(r.out.find("after"), std::string::npos) << "a cancelled call is never sent: " << r.out;
  expect_only_protocol_lines(r.out);
}

}  // namespace
}  // namespace mcpauth

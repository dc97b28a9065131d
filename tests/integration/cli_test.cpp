// The mcpauth command, run as a user runs it, against real test servers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::PeerProcess;
using testing::run_command;

TEST(Cli, ToolsListsTheToolsOfAStreamableServer) {
  PeerProcess peer("streamable-server.mjs");
  const auto r = run_command(cli({"tools", peer.url()}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("echo"), std::string::npos);
  EXPECT_NE(r.out.find("progress"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Cli, ToolsListsTheToolsOfALegacySseServer) {
  PeerProcess peer("sse-server.mjs");
  const auto r = run_command(cli({"tools", peer.url("/sse")}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("echo"), std::string::npos);
}

TEST(Cli, ToolsJsonIsMachineReadable) {
  PeerProcess peer("streamable-server.mjs", {"--stateless"});
  const auto r = run_command(cli({"tools", "--json", peer.url()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto tools = nlohmann::json::parse(r.out);
  ASSERT_TRUE(tools.is_array());
  EXPECT_EQ(tools.at(0).at("name"), "echo");
  EXPECT_TRUE(tools.at(0).contains("inputSchema"));
}

TEST(Cli, CallPrintsTheTextResult) {
  PeerProcess peer("streamable-server.mjs");
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"hello there"})"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello there\n");
}

TEST(Cli, CallOfAFailingToolExitsOne) {
  PeerProcess peer("streamable-server.mjs");
  const auto r = run_command(cli({"call", peer.url(), "fail"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("always fails"), std::string::npos);
}

TEST(Cli, CallJsonPrintsTheWholeResult) {
  PeerProcess peer("streamable-server.mjs");
  const auto r = run_command(cli({"call", "--json", peer.url(), "add", R"({"a":1,"b":2})"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("content").at(0).at("text"), "3");
}

TEST(Cli, BadArgumentsAreAUsageErrorBeforeAnyConnection) {
  const auto r = run_command(cli({"call", "http://127.0.0.1:1/mcp", "echo", "{not json"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
}

// A server URL may carry an API key in its query: the error names the
// server without repeating the key (the hint's command keeps what was typed).
TEST(Cli, AnErrorNamingTheServerLeavesItsQueryValuesOut) {
  const auto r = run_command(cli({"tools", "http://127.0.0.1:1/mcp?api_key=Zq9SECRETzQ9&scope=tools"}));
  EXPECT_NE(r.exit_code, 0);
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  EXPECT_NE(first_line.find("http://127.0.0.1:1/mcp?api_key=[redacted]&scope=tools"), std::string::npos) << r.err;
  EXPECT_EQ(first_line.find("Zq9SECRETzQ9"), std::string::npos) << r.err;
}

TEST(Cli, UnsupportedSchemeIsAUsageError) {
  const auto r = run_command(cli({"tools", "file:///etc/passwd"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unsupported URL scheme"), std::string::npos) << r.err;
}

TEST(Cli, HeaderValuesExpandFromTheEnvironment) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer t0ken-42"});
  const auto denied = run_command(cli({"tools", peer.url()}));
  EXPECT_EQ(denied.exit_code, 6);
  EXPECT_NE(denied.err.find("401"), std::string::npos) << denied.err;
  // One line for the error, one for the CLI's hint: here, the static token.
  EXPECT_EQ(std::count(denied.err.begin(), denied.err.end(), '\n'), 2) << denied.err;
  EXPECT_NE(denied.err.find("\nmcpauth: hint: if the server takes a static token, pass it with --header"),
            std::string::npos)
      << denied.err;

  const auto allowed =
      run_command(cli({"tools", "--header", "Authorization: Bearer ${MY_TOKEN}", peer.url()}), {"MY_TOKEN=t0ken-42"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("echo"), std::string::npos);
}

TEST(Cli, McpRemoteTransportNamesWork) {
  PeerProcess streamable("streamable-server.mjs");
  PeerProcess sse("sse-server.mjs");
  for (const auto& [name, url] : std::vector<std::pair<std::string, std::string>>{{"sse-first", streamable.url()},
                                                                                  {"sse-first", sse.url("/sse")},
                                                                                  {"sse-only", sse.url("/sse")},
                                                                                  {"http-only", streamable.url()},
                                                                                  {"http-first", sse.url("/sse")}}) {
    const auto r = run_command(cli({"tools", "--transport", name, url}));
    EXPECT_EQ(r.exit_code, 0) << name << " " << url << ": " << r.err;
    EXPECT_NE(r.out.find("echo"), std::string::npos) << name << " " << url;
  }
  const auto wrong = run_command(cli({"tools", "--transport", "sse-only", streamable.url()}));
  EXPECT_NE(wrong.exit_code, 0) << "sse-only never falls back";
}

TEST(Cli, AnUnsetHeaderVariableIsAUsageErrorThatNamesIt) {
  const auto r =
      run_command(cli({"tools", "-H", "Authorization: Bearer ${MCPAUTH_TEST_UNSET_VAR}", "http://127.0.0.1:1/mcp"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("MCPAUTH_TEST_UNSET_VAR"), std::string::npos) << r.err;
}

TEST(Cli, NobodyListeningIsAConnectionError) {
  std::string url;
  {
    PeerProcess peer("streamable-server.mjs");
    url = peer.url();
  }
  const auto r = run_command(cli({"tools", url}));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
}

// https:// to a port that speaks plain HTTP: the fix is the scheme, not a CA bundle.
TEST(Cli, HttpsToAPlainHttpPortSuggestsHttp) {
  PeerProcess peer("streamable-server.mjs");
  const std::string url = "https://127.0.0.1:" + std::to_string(peer.port()) + "/mcp";
  const auto r = run_command(cli({"tools", url}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("use an http:// URL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("MCPAUTH_CA_BUNDLE"), std::string::npos) << r.err;
}

// host:port/path without a scheme is a URL (https assumed), not a config name.
TEST(Cli, AUrlWithoutASchemeIsTakenAsHttps) {
  PeerProcess peer("streamable-server.mjs");
  const std::string typed = "127.0.0.1:" + std::to_string(peer.port()) + "/mcp";
  const auto r = run_command(cli({"tools", typed}));
  EXPECT_EQ(r.exit_code, 3) << r.err;  // the peer speaks plain HTTP, so https fails, saying so
  EXPECT_EQ(r.err.find("no server named"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("https://" + typed), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("use an http:// URL"), std::string::npos) << r.err;
}

TEST(Cli, AProtocolViolationExitsFour) {
  PeerProcess peer("bad-server.mjs", {"--mode", "wrong-content-type"});
  const auto r = run_command(cli({"tools", peer.url()}));
  EXPECT_EQ(r.exit_code, 4) << r.err;
}

TEST(Cli, TransportSseIsHonoured) {
  PeerProcess peer("sse-server.mjs");
  const auto r = run_command(cli({"call", "--transport", "sse", peer.url("/sse"), "echo", R"({"text":"x"})"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x\n");
}

// Plain http off loopback would carry headers (and tokens) in clear: refused
// unless the user says it is a test server.
TEST(Cli, PlainHttpOffLoopbackNeedsAllowHttp) {
  auto r = run_command(cli({"tools", "http://192.0.2.1:9/mcp", "--no-auth"}));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("--allow-http"), std::string::npos) << r.err;
  // Allowed, it gets as far as connecting (TEST-NET-1: nothing answers).
  r = run_command(cli({"tools", "http://192.0.2.1:9/mcp", "--no-auth", "--allow-http", "--connect-timeout", "1"}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err.find("--allow-http"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mcpauth

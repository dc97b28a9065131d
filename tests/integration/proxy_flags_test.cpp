// `mcpauth proxy` with mcp-remote 0.15.1's flags (and --allow-tool), as the
// host and the servers see them on the wire.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "platform/files.hpp"
#include "platform/process.hpp"
#include "stdio_host_lines.hpp"

namespace mcpauth {
namespace {

using testing::browser;
using testing::cli;
using testing::InteractiveCommand;
using testing::PeerProcess;

using testing::handshake_and_list_tools;
using testing::kInitialize;
using testing::kInitialized;
using testing::tool_call;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A file of this test's own in the test home, with `mode`.
std::string write_file(const std::string& name, const std::string& content, unsigned mode = 0600) {
  const std::string path = testing::test_home() + "/" + name + "-" + std::to_string(test_platform::current_pid());
  std::remove(path.c_str());
  {
    std::ofstream out(path);
    out << content;
  }
  test_platform::set_mode(path, mode);
  return path;
}

// $BROWSER that notes the authorization URL it is given in `url_file`, then
// is the oidc-provider user (oidc-browser.mjs).
std::string recording_browser(const std::string& url_file) {
  const std::string script = write_file(
      "browser.sh", "#!/bin/sh\nprintf '%s\\n' \"$1\" > '" + url_file + "'\nexec " + browser() + " \"$1\"\n", 0700);
  return "BROWSER=" + script;
}

// The tools/list answer of the allowed-tools tests below.
void expect_echo_and_add_but_not_fail_or_progress(const std::string& list) {
  EXPECT_NE(list.find(R"("name":"echo")"), std::string::npos) << list;
  EXPECT_NE(list.find(R"("name":"add")"), std::string::npos) << list;
  EXPECT_EQ(list.find(R"("name":"fail")"), std::string::npos) << list;
  EXPECT_EQ(list.find(R"("name":"progress")"), std::string::npos) << list;
}

TEST(ProxyFlags, AllowedToolsAreTheOnlyOnesTheHostSeesOrMayCall) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--allow-tool", "ec*", "--allow-tool", "add"}));
  expect_echo_and_add_but_not_fail_or_progress(handshake_and_list_tools(proxy));
  proxy.write_stdin(tool_call(3, "progress", R"({"steps":1})"));
  proxy.wait_for_stdout(
      R"re("code":-32602,"message":"mcpauth: the tool progress is hidden \(not among the allowed tools\)"\},"id":3)re");
  proxy.write_stdin(tool_call(4, "add", R"({"a":2,"b":3})"));
  proxy.wait_for_stdout(R"("id":4,[^\n]*"text":"5")");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ProxyFlags, TheConfigFileEntryNamesTheAllowedAndIgnoredTools) {
  PeerProcess peer("streamable-server.mjs");
  const std::string config =
      write_file("config.json", R"({"mcpServers": {"peer": {"url": ")" + peer.url() +
                                    R"(", "allowedTools": ["echo", "add", "fail"], "ignoredTools": "fa*"}}})");
  InteractiveCommand proxy(cli({"proxy", "peer", "--config", config}));
  expect_echo_and_add_but_not_fail_or_progress(handshake_and_list_tools(proxy));
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ProxyFlags, HeaderFileHeadersReachTheServer) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "X-Api-Key: k3y-from-file"});
  const std::string headers = write_file("headers.txt", "# the example server\nX-Api-Key: ${FLAGS_TEST_KEY}\n\n");
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--header-file", headers}), {"FLAGS_TEST_KEY=k3y-from-file"});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"with the file's header"})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*with the file's header)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("k3y-from-file"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("can be read by other users"), std::string::npos) << "the file is 0600: " << r.err;

  // Without the file the server refuses: the header above came from it.
  InteractiveCommand bare(cli({"proxy", peer.url(), "--no-auth"}));
  bare.write_stdin(kInitialize);
  bare.wait_for_stdout(R"("error":[^\n]*"id":1)");
  EXPECT_EQ(bare.finish().exit_code, 0);
}

TEST(ProxyFlags, AHeaderFileThatCannotBeReadOrHasABadLineIsAnError) {
  PeerProcess peer("streamable-server.mjs");
  auto r = testing::run_command(cli({"proxy", peer.url(), "--header-file", "/nonexistent/headers.txt"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot read /nonexistent/headers.txt"), std::string::npos) << r.err;
  const std::string bad = write_file("bad-headers.txt", "X-Ok: 1\nAuthorization Bearer s3cr3t\n");
  r = testing::run_command(cli({"proxy", peer.url(), "--header-file", bad}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("line 2 of " + bad), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("s3cr3t"), std::string::npos) << r.err;
}

// --authorize-param reaches the authorization URL the user's browser opens,
// and --host names the redirect URI the authorization server sends the
// browser back to (the loopback listener answers there, so the flow ends).
TEST(ProxyFlags, AuthorizeParamsAndTheRedirectHostAreInTheAuthorizationUrl) {
  PeerProcess peer("oidc-server.mjs");
  const std::string url_file =
      testing::test_home() + "/authorization-url-" + std::to_string(test_platform::current_pid());
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--authorize-param", "login_hint=tester@example.com",
                                "--authorize-param", "ui_locales=en", "--host", "localhost"}),
                           {recording_browser(url_file)});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")", std::chrono::seconds(60));
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"authorized"})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*authorized)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string url = read_file(url_file);
  EXPECT_NE(url.find("login_hint=tester%40example.com"), std::string::npos) << url;
  EXPECT_NE(url.find("ui_locales=en"), std::string::npos) << url;
  EXPECT_NE(url.find("redirect_uri=http%3A%2F%2Flocalhost%3A"), std::string::npos) << url;
  EXPECT_NE(url.find("code_challenge_method=S256"), std::string::npos) << url;
}

// --auth-success-url: the browser that brings the code back is sent on to
// the host's page, with nothing appended, and the flow completes.
TEST(ProxyFlags, AnAcceptedCallbackRedirectsTheBrowserToTheSuccessUrl) {
  PeerProcess peer("oidc-server.mjs");
  const std::string redirect = testing::test_home() + "/redirect-" + std::to_string(test_platform::current_pid());
  const std::string answer = testing::test_home() + "/callback-answer-" + std::to_string(test_platform::current_pid());
  std::remove(redirect.c_str());
  // The oidc-provider user, then the callback fetched without following its answer.
  const std::string script = write_file("success-browser.sh",
                                        "#!/bin/sh\n" + browser("--redirect-file " + redirect) +
                                            " \"$1\" || exit 1\ncurl --silent --output /dev/null --write-out "
                                            "'%{http_code} %{redirect_url}' \"$(cat '" +
                                            redirect + "')\" > '" + answer + "'\n",
                                        0700);
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--auth-success-url", "https://app.example.com/cli-connected"}),
                           {"BROWSER=" + script});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")", std::chrono::seconds(60));
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(answer), "302 https://app.example.com/cli-connected");
}

TEST(ProxyFlags, ASuccessUrlThatIsNotHttpsIsRefused) {
  PeerProcess peer("oidc-server.mjs");
  for (const char* url : {"http://app.example.com/done", "https://app.example.com/done?x=1"}) {
    const auto r = testing::run_command(cli({"proxy", peer.url(), "--auth-success-url", url}), {"BROWSER=/bin/false"});
    EXPECT_EQ(r.exit_code, 2) << url << ": " << r.err;
  }
}

TEST(ProxyFlags, AuthorizeParamsThatWouldChangeTheFlowAreRefusedBeforeAnythingIsSent) {
  PeerProcess peer("oidc-server.mjs");
  for (const char* param : {"state=mine", "code_challenge=x", "redirect_uri=https://elsewhere.example/",
                            "client_id=other", "scope=admin", "novalue"}) {
    const auto r = testing::run_command(cli({"proxy", peer.url(), "--authorize-param", param}), {"BROWSER=/bin/false"});
    EXPECT_EQ(r.exit_code, 2) << param << ": " << r.err;
    EXPECT_NE(r.err.find("--authorize-param"), std::string::npos) << r.err;
  }
  EXPECT_EQ(testing::as_requests(peer).size(), 0u) << "nothing reached the authorization server";
}

// --client-credentials: a machine client gets its own token; nobody is asked
// (no browser: $BROWSER fails), and the token request is the client_credentials grant.
TEST(ProxyFlags, ClientCredentialsGetsATokenWithoutABrowser) {
  PeerProcess peer("oidc-server.mjs", {"--machine-client", "robot:r0b0t-secret"});
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--client-credentials", "--static-oauth-client-info",
                                R"({"client_id":"robot","client_secret":"${ROBOT_SECRET}"})"}),
                           {"BROWSER=/bin/false", "ROBOT_SECRET=r0b0t-secret"});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")", std::chrono::seconds(60));
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"as a machine"})"));
  proxy.wait_for_stdout(R"("id":2,[^\n]*as a machine)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("r0b0t-secret"), std::string::npos) << r.err;
  const auto requests = testing::as_requests(peer);
  EXPECT_EQ(testing::count_requests(requests, "/oidc/token", "client_credentials"), 1) << testing::describe(requests);
  EXPECT_EQ(testing::count_requests(requests, "/oidc/auth"), 0) << testing::describe(requests);
}

// --device-code: the code shows on stderr (under --silent too: the user
// must act on it), the host's initialize waits for the approval elsewhere.
TEST(ProxyFlags, DeviceCodeAuthorizesWithACodeAndNoBrowser) {
  PeerProcess peer("oidc-server.mjs", {"--device-interval", "1"});
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--device-code", "--silent"}), {"BROWSER=/bin/false"});
  proxy.write_stdin(kInitialize);
  const std::string code = proxy.wait_for_stderr("enter the code ([A-Z0-9-]+)");
  const std::string uri = proxy.wait_for_stderr("open (http://\\S+) and enter the code");
  const auto approve =
      testing::run_command({testing::node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-device.mjs", uri, code});
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")", std::chrono::seconds(60));
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto requests = testing::as_requests(peer);
  EXPECT_EQ(testing::count_requests(requests, "/oidc/auth"), 0) << testing::describe(requests);
  EXPECT_GE(testing::count_requests(requests, "/oidc/token", "urn:ietf:params:oauth:grant-type:device_code"), 1);
}

// --keep-alive / --ping-interval: the proxy pings the quiet server on its
// own; the answers stay in the proxy (the host never asked).
TEST(ProxyFlags, KeepAlivePingsTheServerWhileTheHostIsQuiet) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--ping-interval", "0.2", "--debug"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  // Three POSTs answered 200 that carry the proxy's own pings.
  proxy.wait_for_stderr(
      R"((POST http://127\.0\.0\.1:\d+/mcp -> 200 \([^\n]*id=mcpauth-proxy-keepalive-[^\n]*method=ping[\s\S]*){3})");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("keepalive"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(R"("id":1,)"), r.out.rfind(R"("id":)")) << "only the host's own answer: " << r.out;
}

// --silent: a server that goes away is the host's to see in its answers;
// nothing is written on stderr.
TEST(ProxyFlags, SilentWritesNothingOnStderr) {
  PeerProcess peer("streamable-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--retry-budget", "0", "--silent"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  peer.stop();
  proxy.write_stdin(tool_call(2, "echo", R"({"text":"x"})"));
  proxy.wait_for_stdout(R"("mcpauth_error":"connection"[^\n]*"id":2)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

// --debug (--verbose): one line per exchange, never a token or a code.
TEST(ProxyFlags, DebugShowsEachExchangeButNoSecret) {
  PeerProcess peer("oidc-server.mjs");
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--debug"}), {"BROWSER=" + browser()});
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result":\{[^\n]*"protocolVersion")", std::chrono::seconds(60));
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("mcpauth: debug: POST " + peer.url() + " -> 401"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/token -> 200"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mcpauth: debug: POST " + peer.url() + " -> 200"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("code=[redacted]"), std::string::npos) << r.err;
  EXPECT_FALSE(std::regex_search(r.err, std::regex(R"([& ]code=(?!\[redacted\]))"))) << "a code by value: " << r.err;
  EXPECT_EQ(r.err.find("eyJ"), std::string::npos) << "no JWT: " << r.err;
}

// Flags mcp-remote has and mcpauth does not implement yet are refused, not ignored.
TEST(ProxyFlags, UnsupportedFlagsAreRefusedNotIgnored) {
  PeerProcess peer("streamable-server.mjs");
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--use-id-token"}, {"--client-credentials", "--token-endpoint", "https://as.example/t"}}) {
    std::vector<std::string> argv = cli({"proxy", peer.url()});
    argv.insert(argv.end(), flags.begin(), flags.end());
    const auto r = testing::run_command(argv);
    EXPECT_EQ(r.exit_code, 2) << flags[0] << ": " << r.err;
    EXPECT_NE(r.err.find("not supported yet"), std::string::npos) << r.err;
  }
  const auto unknown_protocol = testing::run_command(cli({"proxy", peer.url(), "--protocol", "2099-01-01"}));
  EXPECT_EQ(unknown_protocol.exit_code, 2) << unknown_protocol.err;
  EXPECT_NE(unknown_protocol.err.find("unknown --protocol"), std::string::npos) << unknown_protocol.err;
  // Accepted: the environment's proxy settings are always honoured.
  // (--disable-cookies has its own test below.)
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--enable-proxy", "--ipv4", "--disable-cookies"}));
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result")");
  EXPECT_EQ(proxy.finish().exit_code, 0);
}

// A load balancer pinning each session with a cookie: the proxy keeps the
// cookie it sets (mcp-remote's default) and the session works; with
// --disable-cookies the session's next request reaches "another backend".
TEST(ProxyFlags, TheCookieJarKeepsALoadBalancersPinUnlessDisabled) {
  PeerProcess peer("streamable-server.mjs", {"--sticky-cookie", "AWSALB=node-7"});
  InteractiveCommand kept(cli({"proxy", peer.url()}));
  EXPECT_NE(handshake_and_list_tools(kept).find(R"("tools":[)"), std::string::npos);
  EXPECT_EQ(kept.finish().exit_code, 0);

  InteractiveCommand disabled(cli({"proxy", peer.url(), "--disable-cookies"}));
  const std::string answer = handshake_and_list_tools(disabled);
  EXPECT_NE(answer.find(R"("error")"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Not pinned"), std::string::npos) << answer;
  disabled.finish();
}

}  // namespace
}  // namespace mcpauth

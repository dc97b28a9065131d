// The token store through the command, against oidc-provider (rotating
// refresh tokens, revocation, device flow): tokens persist (encrypted,
// private files), a restart after expiry refreshes without a browser, status
// shows each state, logout revokes at the authorization server, accounts
// are separate grants, and the device and paste logins complete headless.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "mcpauth/store/sqlite_token_store.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "platform/files.hpp"
#include "platform/named_pipe.hpp"
#include "platform/process.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using mcp::Json;
using testing::as_events;
using testing::as_requests;
using testing::browser;
using testing::cli;
using testing::count_requests;
using testing::describe;
using testing::InteractiveCommand;
using testing::node_path;
using testing::PeerProcess;
using testing::rs_requests;
using testing::run_command;
using testing::test_home;

// The BROWSER for commands that must not need one: it fails at once, so a
// browser flow shows up as a failed command, never as a wait.
const std::string kNoBrowser = "BROWSER=/bin/false";

fs::path store_dir() {
  return fs::path(test_home()) / "data" / "mcpauth";
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Json status_json(const std::string& target = "") {
  const auto r =
      target.empty() ? run_command(cli({"status", "--json"})) : run_command(cli({"status", target, "--json"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out);
}

void login(const PeerProcess& peer, std::initializer_list<std::string> extra = {}) {
  std::vector<std::string> argv = cli({"login", peer.url()});
  argv.insert(argv.end(), extra);
  const auto r = run_command(argv, {"BROWSER=" + browser()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// Polls `status` until the grant reaches `state` (an observable condition, with a deadline).
void wait_for_state(const std::string& url, const std::string& state, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  Json rows;
  while (std::chrono::steady_clock::now() < deadline) {
    rows = status_json(url);
    if (rows.size() == 1 && rows[0]["state"] == state) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  FAIL() << "status never became " << state << ": " << rows.dump();
}

TEST(TokenLifecycle, LoginPersistsPrivatelyAndTheNextRunNeedsNoDiscoveryOrBrowser) {
  PeerProcess peer("oidc-server.mjs");
  login(peer);
  EXPECT_EQ(test_platform::mode_of(store_dir()), 0700u);
  EXPECT_EQ(test_platform::mode_of(store_dir() / "tokens.db"), 0600u);
  EXPECT_EQ(test_platform::mode_of(store_dir() / "tokens.db.key"), 0600u);

  const auto rows = status_json(peer.url());
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["state"], "authorized");
  EXPECT_TRUE(std::regex_match(rows[0]["issuer"].get<std::string>(), std::regex("http://localhost:[0-9]+/oidc")));
  EXPECT_NE(rows[0]["scope"].get<std::string>().find("mcp:tools"), std::string::npos);
  EXPECT_EQ(rows[0]["client"], "dynamic");
  EXPECT_GT(rows[0]["expires_in"].get<long long>(), 3000);

  const auto before = as_requests(peer).size();
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"again"})"}), {kNoBrowser});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("again"), std::string::npos);
  const Json after = as_requests(peer);
  EXPECT_EQ(after.size(), before) << "a stored grant needs no discovery, registration or token request:\n"
                                  << describe(after);
}

// The JSON-RPC methods of the authorized MCP requests from index `from` on.
std::vector<std::string> rpc_methods(const Json& requests, std::size_t from) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < requests.size(); ++i) {
    if (requests[i].contains("rpc") && requests[i]["rpc"].is_string()) out.push_back(requests[i]["rpc"]);
  }
  return out;
}

// Issue 11 item 17: the first contact probes server/discover (the SDK server
// answers it as a server of the initialize era); the era is kept with the
// discovery record, so a reconnect with the stored grant sends what a direct
// client would: initialize, the initialized notification, the call.
TEST(TokenLifecycle, AReconnectRemembersTheServersEraAndSendsNoDiscoverProbe) {
  PeerProcess peer("oidc-server.mjs");
  login(peer);
  const auto first = rpc_methods(rs_requests(peer), 0);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front(), "server/discover") << "the first contact no longer probes: the test proves nothing";

  const auto before = rs_requests(peer).size();
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"again"})"}), {kNoBrowser});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> expected = {"initialize", "notifications/initialized", "tools/call"};
  EXPECT_EQ(rpc_methods(rs_requests(peer), before), expected) << rs_requests(peer).dump();
}

TEST(TokenLifecycle, ARestartAfterExpiryRefreshesSilently) {
  PeerProcess peer("oidc-server.mjs", {"--access-ttl", "3"});
  login(peer);
  wait_for_state(peer.url(), "refresh-only", std::chrono::seconds(20));
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"refreshed"})"}), {kNoBrowser});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("refreshed"), std::string::npos);
  const Json requests = as_requests(peer);
  EXPECT_EQ(count_requests(requests, "/oidc/auth"), 1) << describe(requests);
  EXPECT_EQ(count_requests(requests, "/oidc/token", "refresh_token"), 1) << describe(requests);
  EXPECT_EQ(count_requests(requests, "/oidc/token", "authorization_code"), 1) << describe(requests);
  EXPECT_EQ(status_json(peer.url())[0]["state"], "authorized");
}

TEST(TokenLifecycle, LogoutRevokesAtTheAuthorizationServerAndTheNextCallNeedsAuthorization) {
  PeerProcess peer("oidc-server.mjs");
  login(peer);
  const auto out = run_command(cli({"logout", peer.url()}));
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("Logged out of " + peer.url()), std::string::npos) << out.out;

  const Json requests = as_requests(peer);
  bool refresh_revoked = false;
  for (const auto& r : requests) {
    if (r["path"] == "/oidc/token/revocation" && r.value("token_type_hint", Json()) == "refresh_token") {
      refresh_revoked = r["status"] == 200;
    }
  }
  EXPECT_TRUE(refresh_revoked) << describe(requests);
  bool grant_revoked = false;
  for (const auto& e : as_events(peer)) grant_revoked = grant_revoked || e["event"] == "grant.revoked";
  EXPECT_TRUE(grant_revoked) << as_events(peer).dump();

  EXPECT_EQ(status_json(peer.url())[0]["state"], "needs authorization");
  const auto next = run_command(cli({"tools", peer.url()}), {"BROWSER="});
  EXPECT_EQ(next.exit_code, 6) << next.err;
  EXPECT_NE(next.err.find("login --device"), std::string::npos) << next.err;

  const auto again = run_command(cli({"logout", peer.url()}));
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("Nothing to log out of"), std::string::npos) << again.out;

  // --all without a server: every stored grant, each revoked.
  login(peer);
  const auto all = run_command(cli({"logout", "--all"}));
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("Logged out of " + peer.url() + ": revoked at"), std::string::npos) << all.out;
  EXPECT_EQ(status_json(peer.url())[0]["state"], "needs authorization");
  EXPECT_EQ(run_command(cli({"logout"})).exit_code, 2) << "no server and no --all is a usage error";
}

TEST(TokenLifecycle, NoTokenAppearsInClearInTheStoreOrTheOutput) {
  PeerProcess peer("oidc-server.mjs");
  const auto login_run = run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()});
  ASSERT_EQ(login_run.exit_code, 0) << login_run.err;
  const auto status_run = run_command(cli({"status"}));
  const auto tools_run = run_command(cli({"tools", peer.url()}), {kNoBrowser});
  ASSERT_EQ(tools_run.exit_code, 0) << tools_run.err;

  store::SqliteStoreOptions options;
  options.path = store_dir() / "tokens.db";
  options.use_keyring = false;
  std::vector<store::GrantRecord> grants;
  for (auto& grant : store::open_sqlite_token_store(options)->list_grants()) {
    if (grant.key.resource == peer.url()) grants.push_back(grant);
  }
  ASSERT_EQ(grants.size(), 1u);
  const auto& tokens = grants[0].tokens;
  ASSERT_TRUE(tokens.refresh_token);
  for (const std::string& secret : {tokens.access_token, *tokens.refresh_token}) {
    ASSERT_GT(secret.size(), 20u);
    for (const auto& entry : fs::directory_iterator(store_dir())) {
      EXPECT_EQ(read_all(entry.path()).find(secret), std::string::npos) << "a token in clear in " << entry.path();
    }
    for (const auto* run : {&login_run, &status_run, &tools_run}) {
      EXPECT_EQ(run->out.find(secret), std::string::npos);
      EXPECT_EQ(run->err.find(secret), std::string::npos);
    }
    // Not even a prefix in status.
    EXPECT_EQ(status_run.out.find(secret.substr(0, 12)), std::string::npos);
  }
}

TEST(TokenLifecycle, StatusShowsEachStateForConfiguredServersAndAccounts) {
  PeerProcess peer("oidc-server.mjs");
  const fs::path config = fs::path(test_home()) / "status-config.json";
  std::ofstream(config) << R"({"mcpServers": {"docs": {"url": ")" << peer.url()
                        << R"("}, "later": {"url": "http://127.0.0.1:1/mcp"}, "local": {"command": "x"}}})";
  const std::string cfg = "MCPAUTH_CONFIG=" + config.string();

  auto r = run_command(cli({"status", "--json"}), {cfg});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rows = Json::parse(r.out);
  ASSERT_GE(rows.size(), 2u) << rows.dump();  // configured servers first, then any other stored grant
  EXPECT_EQ(rows[0]["server"], "docs");
  EXPECT_EQ(rows[0]["state"], "needs authorization");
  EXPECT_EQ(rows[1]["server"], "later");

  ASSERT_EQ(run_command(cli({"login", "docs"}), {cfg, "BROWSER=" + browser()}).exit_code, 0);
  ASSERT_EQ(
      run_command(cli({"login", "docs", "--account", "work"}), {cfg, "BROWSER=" + browser("--login worker")}).exit_code,
      0);
  r = run_command(cli({"status", "docs", "--json"}), {cfg});
  rows = Json::parse(r.out);
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0]["account"], "");
  EXPECT_EQ(rows[1]["account"], "work");
  EXPECT_EQ(rows[0]["state"], "authorized");
  EXPECT_EQ(rows[1]["state"], "authorized");

  // The second login registered anew (another loopback port): the first
  // account's grant still works without a browser.
  const auto before = testing::as_requests(peer);
  r = run_command(cli({"call", "docs", "echo", R"({"text":"default account"})"}), {cfg, kNoBrowser});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_requests(as_requests(peer), "/oidc/auth"), count_requests(before, "/oidc/auth"));

  // The table, for people: a header and one line per account.
  r = run_command(cli({"status", "docs"}), {cfg});
  EXPECT_NE(r.out.find("SERVER"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("work"), std::string::npos) << r.out;

  // A row that cannot be decrypted is shown as an error, not hidden.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((store_dir() / "tokens.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE tokens SET secrets = x'0102' WHERE account = 'work'", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  rows = Json::parse(run_command(cli({"status", "docs", "--json"}), {cfg}).out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["state"], "authorized");
  EXPECT_EQ(rows[1]["state"], "error");

  // Logging out one account leaves the other.
  r = run_command(cli({"logout", "docs", "--account", "work"}), {cfg});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  rows = Json::parse(run_command(cli({"status", "docs", "--json"}), {cfg}).out);
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["account"], "");

  // An account with no grant there is named, beside the accounts that have one.
  r = run_command(cli({"logout", "docs", "--account", "nosuch"}), {cfg});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find("no stored grant for account \"nosuch\" at " + peer.url() + " (stored there: the default account)"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(Json::parse(run_command(cli({"status", "docs", "--json"}), {cfg}).out).size(), 1u);
}

TEST(TokenLifecycle, DeviceLoginCompletesHeadless) {
  PeerProcess peer("oidc-server.mjs", {"--device-interval", "1"});
  InteractiveCommand login_run(cli({"login", peer.url(), "--device"}), {"BROWSER="});
  const std::string code = login_run.wait_for_stderr("enter the code ([A-Z0-9-]+)");
  const std::string uri = login_run.wait_for_stderr("open (http://\\S+) and enter the code");
  const auto approve = run_command({node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-device.mjs", uri, code});
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  const auto r = login_run.finish();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mcp:tools"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(code + "\n" + code), std::string::npos);

  const Json requests = as_requests(peer);
  const std::string device_grant = "urn:ietf:params:oauth:grant-type:device_code";
  EXPECT_EQ(count_requests(requests, "/oidc/auth"), 0) << describe(requests);
  long long last = -1;
  for (const auto& req : requests) {
    if (req["path"] != "/oidc/token" || req.value("grant_type", Json()) != device_grant) continue;
    if (last >= 0) EXPECT_GE(req["ms"].get<long long>() - last, 900) << "polls faster than the interval";
    last = req["ms"].get<long long>();
  }
  EXPECT_GE(count_requests(requests, "/oidc/token", device_grant), 1);
  EXPECT_EQ(status_json(peer.url())[0]["state"], "authorized");
}

TEST(TokenLifecycle, PasteLoginCompletesHeadlessAndSurvivesABadPaste) {
  PeerProcess peer("oidc-server.mjs");
  InteractiveCommand login_run(cli({"login", peer.url(), "--no-browser"}), {"BROWSER="});
  const std::string url = login_run.wait_for_stderr("\\n  (http://localhost:[0-9]+/oidc/auth\\S+)\\n");
  login_run.wait_for_stderr("paste here");
  login_run.write_stdin("this is not an address\n");
  login_run.wait_for_stderr("paste again");

  const auto redirect =
      run_command({node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs", "--print-redirect", url});
  ASSERT_EQ(redirect.exit_code, 0) << redirect.err;
  login_run.write_stdin(redirect.out);
  const auto r = login_run.finish();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("code="), std::string::npos) << "the pasted code is never echoed";
  EXPECT_EQ(status_json(peer.url())[0]["state"], "authorized");
}

// Issue 11 item 25: `proxy --no-browser` takes the paste from its controlling
// terminal while standard input carries the host's messages. script(1) gives
// the proxy a pseudo-terminal (written through script's stdin) and the shell
// points the proxy's stdin at a FIFO the test writes JSON-RPC to: the paste
// works, and every message on stdin reaches the server, none eaten as a paste.
TEST(TokenLifecycle, ProxyNoBrowserReadsThePasteFromTheTerminalNotFromTheHostsMessages) {
  PeerProcess peer("oidc-server.mjs");
  const std::string fifo = test_home() + "/proxy-stdin-" + std::to_string(test_platform::current_pid());
  std::filesystem::remove(fifo);
  test_platform::NamedPipeWriter host(fifo);  // the host's end of the proxy's stdin
  ASSERT_TRUE(host.ok()) << fifo;
  const std::string command = "exec '" + std::string(MCPAUTH_CLI_PATH) + "' proxy '" + peer.url() +
                              "' --no-browser --consent-timeout 60 < '" + fifo + "'";
  InteractiveCommand terminal({"/usr/bin/script", "-qfec", command, "/dev/null"}, {"BROWSER="});
  bool opened = false;  // opens once the shell has opened the other end
  for (int i = 0; i < 3000 && !opened; ++i) {
    opened = host.try_open();
    if (!opened) terminal.read_output(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(opened) << "the proxy never opened its stdin: " << terminal.out();
  const auto send = [&host](const std::string& line) { ASSERT_TRUE(host.write(line)); };
  send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
       R"("capabilities":{},"clientInfo":{"name":"host","version":"1"}}})"
       "\n");
  const std::string url = terminal.wait_for_stdout("\n  (http://localhost:[0-9]+/oidc/auth[^\\s]+)");
  terminal.wait_for_stdout("paste here");
  const auto redirect =
      run_command({node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs", "--print-redirect", url});
  ASSERT_EQ(redirect.exit_code, 0) << redirect.err;
  terminal.write_stdin(redirect.out);  // typed into the terminal
  terminal.wait_for_stdout(R"("id":1,"jsonrpc":"2.0","result")");
  send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
       "\n");
  send(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"via stdin"}}})"
       "\n");
  terminal.wait_for_stdout(R"("id":2,"jsonrpc":"2.0","result"[^\n]*via stdin)");
  host.close();  // the host ends: so does the proxy, then script
  const auto r = terminal.finish();
  std::filesystem::remove(fifo);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(status_json(peer.url())[0]["state"], "authorized");
}

TEST(TokenLifecycle, WithoutADisplayLoginSaysWhatToUseInsteadOfWaiting) {
  PeerProcess peer("oidc-server.mjs");
  const auto r =
      run_command(cli({"login", peer.url()}), {"BROWSER=", "DISPLAY=", "WAYLAND_DISPLAY="}, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("--device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--no-browser"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mcpauth

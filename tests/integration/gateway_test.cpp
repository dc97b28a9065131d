// `mcpauth gateway` with real peers: local clients (mcpauth's own Session,
// over Streamable HTTP and the legacy SSE transport) use OAuth-protected and
// plain servers through the gateway; the dashboard API authorizes through
// the gateway's own /oauth/callback with the headless browser; one refresh
// serves many concurrent clients at expiry; and the request checks (API key
// off loopback, Host, Origin, CSRF) refuse what they must.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

#include "gateway_harness.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"
#include "platform/process.hpp"
#include "platform/users.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using mcp::Json;
using testing::as_requests;
using testing::cli;
using testing::count_requests;
using testing::describe;
using testing::gateway_status;
using testing::GatewayProcess;
using testing::http;
using testing::InteractiveCommand;
using testing::node_path;
using testing::PeerProcess;
using testing::RawConnection;
using testing::run_command;
using testing::test_home;
using testing::write_config;

const std::string kApiKey = "gateway-test-key-0123456789abcdef";

Json read_json_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

Json state(GatewayProcess& gw, const net::HttpHeaders& headers = {}) {
  const auto r = http("GET", gw.url("/api/state"), "", headers);
  EXPECT_EQ(r.status, 200) << r.body;
  return Json::parse(r.body);
}

net::HttpResponse api_post(GatewayProcess& gw, const std::string& path, const Json& body = Json::object()) {
  net::HttpHeaders headers{{"X-CSRF-Token", state(gw)["csrf"].get<std::string>()}};
  return http("POST", gw.url(path), body.dump(), headers);
}

Json row(GatewayProcess& gw, const std::string& name) {
  const Json all = state(gw);
  for (const auto& r : all["servers"]) {
    if (r["name"] == name) return r;
  }
  return nullptr;
}

// Polls the dashboard state until `done` holds (an observable condition, with a deadline).
Json wait_for_row(GatewayProcess& gw, const std::string& name, const std::function<bool(const Json&)>& done,
                  std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  Json r;
  while (std::chrono::steady_clock::now() < deadline) {
    gw.command().read_output();
    r = row(gw, name);
    if (done(r)) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "the row of " << name << " never reached the expected state: " << r.dump() << "\n"
                << gw.command().err();
  return r;
}

// The user: opens the authorization URL in the browser (oidc-provider's dev
// login and consent), which ends on the gateway's /oauth/callback.
testing::CommandResult follow(const std::string& authorization_url, const std::string& flags = "") {
  std::vector<std::string> argv = {node_path(), std::string(MCPAUTH_PEERS_DIR) + "/oidc-browser.mjs"};
  if (!flags.empty()) argv.push_back(flags);
  argv.push_back(authorization_url);
  return run_command(argv);
}

void authorize(GatewayProcess& gw, const std::string& name) {
  const auto r = api_post(gw, "/api/servers/" + name + "/authorize");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json answer = Json::parse(r.body);
  ASSERT_TRUE(answer.contains("authorization_url")) << r.body;
  const std::string url = answer["authorization_url"];
  EXPECT_NE(url.find(std::string("redirect_uri=") + "http%3A%2F%2F127.0.0.1%3A" + std::to_string(gw.port()) +
                     "%2Foauth%2Fcallback"),
            std::string::npos)
      << url;
  EXPECT_EQ(row(gw, name)["state"], "authorizing");
  const auto browser = follow(url);
  ASSERT_EQ(browser.exit_code, 0) << browser.err;
  wait_for_row(gw, name, [](const Json& r) { return r.is_object() && r["state"] == "authorized"; });
}

std::unique_ptr<mcp::Session> connect(const std::string& url, mcp::TransportKind transport) {
  mcp::SessionOptions options;
  options.url = url;
  options.transport = transport;
  options.request_timeout = std::chrono::seconds(30);
  return mcp::Session::connect(options);
}

// Nothing that looks like a token (oidc-provider's access tokens are JWTs) or names one.
void expect_no_secrets(const std::string& text) {
  EXPECT_EQ(text.find("eyJ"), std::string::npos) << text;
  for (const char* word : {"access_token", "refresh_token", "client_secret", "code_verifier"}) {
    EXPECT_EQ(text.find(word), std::string::npos) << word << " in " << text;
  }
}

TEST(Gateway, LocalClientListsAndCallsToolsOfAnOAuthServerAfterDashboardAuthorization) {
  PeerProcess peer("oidc-server.mjs");
  GatewayProcess gw(write_config("oauth", {{"secure", {{"url", peer.url()}}}}));
  const std::string endpoint = gw.url("/servers/secure/mcp");

  // Before any consent: a local client gets an answer at once that points at the dashboard.
  try {
    connect(endpoint, mcp::TransportKind::streamable_http);
    FAIL() << "initialize succeeded without authorization";
  } catch (const mcp::RpcError& e) {
    EXPECT_EQ(e.data().value("mcpauth_error", ""), "authorization_required") << e.what();
    EXPECT_NE(std::string(e.what()).find("dashboard"), std::string::npos) << e.what();
    // The gateway's own words: its dashboard, never the command line's `mcpauth login`.
    EXPECT_NE(std::string(e.what()).find("press Authorize"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("mcpauth login"), std::string::npos) << e.what();
  }
  EXPECT_EQ(wait_for_row(gw, "secure", [](const Json& r) { return r["state"] == "needs_authorization"; })["auth"],
            "oauth");

  authorize(gw, "secure");
  const Json authorized = row(gw, "secure");
  EXPECT_EQ(authorized["client_type"], "dynamic");
  EXPECT_TRUE(authorized["issuer"].is_string());
  EXPECT_TRUE(authorized["expires_at"].is_number());
  EXPECT_GT(authorized["tools"].get<int>(), 0);

  auto session = connect(endpoint, mcp::TransportKind::streamable_http);
  const auto tools = session->list_tools();
  EXPECT_TRUE(std::any_of(tools.begin(), tools.end(), [](const mcp::Tool& t) { return t.name == "echo"; }));
  const auto result = session->call_tool("echo", {{"text", "through the gateway"}});
  EXPECT_EQ(result.result["content"][0]["text"], "through the gateway");
  session->close();

  const auto listed = http("GET", gw.url("/api/servers/secure/tools"));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const Json tool_list = Json::parse(listed.body)["tools"];
  EXPECT_TRUE(std::any_of(tool_list.begin(), tool_list.end(), [](const Json& t) {
    return t["name"] == "echo" && t["description"].is_string() && !t["description"].get<std::string>().empty();
  })) << listed.body;

  expect_no_secrets(http("GET", gw.url("/api/state")).body);
  expect_no_secrets(listed.body);
  expect_no_secrets(gw.command().err());
  EXPECT_EQ(gw.command().err().find("mcpauth login"), std::string::npos) << gw.command().err();

  // Log out: revoked at the authorization server, and local clients need authorization again.
  const auto out = api_post(gw, "/api/servers/secure/logout");
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(row(gw, "secure")["state"], "needs_authorization");
  EXPECT_GE(count_requests(as_requests(peer), "/oidc/token/revocation"), 1);
  EXPECT_THROW(connect(endpoint, mcp::TransportKind::streamable_http), mcp::RpcError);
}

// --verbose: the gateway's log gets the debug lines of each server, behind
// its name: the exchanges (local traffic's and the Authorizer's) and the
// steps of the dashboard's authorization, never a secret.
TEST(Gateway, VerboseLogsEachServersExchangesAndAuthorizationStepsWithoutSecrets) {
  PeerProcess peer("oidc-server.mjs");
  GatewayProcess gw(write_config("verbose", {{"secure", {{"url", peer.url()}}}}), {"--verbose"});
  authorize(gw, "secure");
  auto session = connect(gw.url("/servers/secure/mcp"), mcp::TransportKind::streamable_http);
  EXPECT_FALSE(session->list_tools().empty());
  session->close();
  const std::string log = gw.command().err();
  testing::expect_debug_lines(log, "mcpauth gateway: debug: secure: ",
                              {
                                  "secure: discovery: resource " + peer.url() + " (metadata at ",
                                  "secure: token: authorization_code grant at ",
                                  "/oidc/token -> 200 (",
                                  "secure: POST " + peer.url() + " -> 200 (",
                                  "method=tools/list",
                              });
  EXPECT_EQ(testing::secrets_in_debug_log(log), "");
  const auto tokens = testing::stored_tokens(peer.url());
  ASSERT_TRUE(tokens.refresh_token);
  for (const std::string& secret : {tokens.access_token, *tokens.refresh_token}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << log;
  }
}

TEST(Gateway, ConcurrentLocalClientsAtTokenExpiryCauseExactlyOneRefresh) {
  PeerProcess peer("oidc-server.mjs", {"--access-ttl", "8"});
  GatewayProcess gw(write_config("refresh", {{"secure", {{"url", peer.url()}}}}));
  authorize(gw, "secure");
  const std::string endpoint = gw.url("/servers/secure/mcp");

  constexpr int kClients = 16;
  constexpr int kCalls = 4;
  std::vector<std::unique_ptr<mcp::Session>> sessions;
  for (int i = 0; i < kClients; ++i) sessions.push_back(connect(endpoint, mcp::TransportKind::streamable_http));
  ASSERT_EQ(count_requests(as_requests(peer), "/oidc/token", "refresh_token"), 0);

  // Until the access token has expired (as the dashboard shows it).
  const long long expires_at = row(gw, "secure")["expires_at"].get<long long>();
  wait_for_row(
      gw, "secure",
      [expires_at](const Json&) {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count() > expires_at;
      },
      std::chrono::seconds(20));
  // One expiry is the point: the refreshed token lives long, however slow this machine.
  testing::set_access_ttl(peer, 3600);

  std::atomic<int> ok{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      try {
        for (int c = 0; c < kCalls; ++c) {
          const auto r = sessions[i]->call_tool("echo", {{"text", "client " + std::to_string(i)}});
          if (r.result["content"][0]["text"] == "client " + std::to_string(i)) ++ok;
        }
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(ok.load(), kClients * kCalls);
  const Json requests = as_requests(peer);
  EXPECT_EQ(count_requests(requests, "/oidc/token", "refresh_token"), 1) << describe(requests);
  EXPECT_EQ(count_requests(requests, "/oidc/token", "authorization_code"), 1) << describe(requests);
  for (auto& s : sessions) s->close();
}

TEST(Gateway, OffLoopbackRequiresAnApiKey) {
  PeerProcess peer("streamable-server.mjs");
  const std::string config = write_config("apikey", {{"plain", {{"url", peer.url()}}}});

  const auto refused =
      run_command(cli({"gateway", "--config", config, "--listen", "0.0.0.0:0"}), {}, std::chrono::seconds(30));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("API key"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out.find("LISTENING"), std::string::npos);

  GatewayProcess gw(config, {"--listen", "0.0.0.0:0", "--api-key-env", "GW_KEY"}, {"GW_KEY=" + kApiKey});
  const net::HttpHeaders key{{"Authorization", "Bearer " + kApiKey}};
  EXPECT_EQ(http("GET", gw.url("/api/state")).status, 401);
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", {{"Authorization", "Bearer wrong-key-0123456789abcdef0"}}).status,
            401);
  EXPECT_EQ(http("POST", gw.url("/servers/plain/mcp"), R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 401);
  const auto with_key = http("GET", gw.url("/api/state"), "", key);
  EXPECT_EQ(with_key.status, 200) << with_key.body;
  EXPECT_EQ(with_key.body.find(kApiKey), std::string::npos);
  // The static dashboard itself opens without the key (a browser navigation cannot send it).
  EXPECT_EQ(http("GET", gw.url("/")).status, 200);

  // A local client that sends the key works.
  mcp::SessionOptions options;
  options.url = gw.url("/servers/plain/mcp");
  options.authorizer = std::make_shared<mcp::StaticHeaders>(key);
  auto session = mcp::Session::connect(options);
  EXPECT_EQ(session->call_tool("echo", {{"text", "keyed"}}).result["content"][0]["text"], "keyed");
  session->close();
}

TEST(Gateway, RefusesForeignHostForeignOriginAndMissingCsrf) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("checks", {{"plain", {{"url", peer.url()}}}}));
  const std::string port = std::to_string(gw.port());
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                           R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

  EXPECT_EQ(http("GET", gw.url("/api/state"), "", {{"Host", "attacker.example:" + port}}).status, 421);
  EXPECT_EQ(http("POST", gw.url("/servers/plain/mcp"), ping, {{"Host", "attacker.example:" + port}}).status, 421);
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", {{"Host", "localhost:" + port}}).status, 200);
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", {{"Host", "127.0.0.1:1"}}).status, 421);

  EXPECT_EQ(http("POST", gw.url("/servers/plain/mcp"), ping, {{"Origin", "http://attacker.example"}}).status, 403);
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", {{"Origin", "null"}}).status, 403);
  EXPECT_EQ(http("GET", gw.url("/api/state"), "", {{"Origin", "http://localhost:" + port}}).status, 200);

  EXPECT_EQ(http("POST", gw.url("/api/servers/plain/reconnect")).status, 403);
  EXPECT_EQ(http("POST", gw.url("/api/servers/plain/reconnect"), "", {{"X-CSRF-Token", "guess"}}).status, 403);
  EXPECT_EQ(http("DELETE", gw.url("/api/servers/plain")).status, 403);
  EXPECT_EQ(api_post(gw, "/api/servers/plain/reconnect").status, 202);
  EXPECT_TRUE(row(gw, "plain").is_object());  // the refused DELETE removed nothing
}

TEST(Gateway, LegacySseEndpointServesAPlainClient) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("sse", {{"plain", {{"url", peer.url()}}}}));
  auto session = connect(gw.url("/servers/plain/sse"), mcp::TransportKind::sse);
  EXPECT_EQ(session->transport_kind(), "sse");
  const auto tools = session->list_tools();
  EXPECT_TRUE(std::any_of(tools.begin(), tools.end(), [](const mcp::Tool& t) { return t.name == "add"; }));
  EXPECT_EQ(session->call_tool("add", {{"a", 2}, {"b", 3}}).result["content"][0]["text"], "5");
  session->close();
  wait_for_row(gw, "plain", [](const Json& r) { return r["state"] == "ready" && r["auth"] == "none"; });
}

// The dashboard's probe says what `mcpauth probe --json` says (one word per
// answer, auth::to_string): "none" for a server that needs nothing.
TEST(Gateway, ProbeOfAnOpenServerSaysNoneAsProbeJsonDoes) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("probe-open", Json::object()));
  const auto probed = api_post(gw, "/api/probe", {{"url", peer.url()}});
  ASSERT_EQ(probed.status, 200) << probed.body;
  EXPECT_EQ(Json::parse(probed.body)["needs"], "none") << probed.body;
  EXPECT_EQ(Json::parse(probed.body)["transport"], "streamable-http") << probed.body;
}

TEST(Gateway, StreamableSessionsGetServerNotificationsAndEndWithDelete) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("notify", {{"plain", {{"url", peer.url()}}}}));
  std::atomic<int> changed{0};
  mcp::SessionOptions options;
  options.url = gw.url("/servers/plain/mcp");
  options.transport = mcp::TransportKind::streamable_http;
  std::mutex mutex;
  std::condition_variable cv;
  options.on_notification = [&](const std::string& method, const Json&) {
    if (method == "notifications/tools/list_changed") {
      std::lock_guard lock(mutex);
      ++changed;
      cv.notify_all();
    }
  };
  auto session = mcp::Session::connect(options);
  session->call_tool("notify_later", {{"delay_ms", 10}});
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return changed.load() > 0; }));
  }
  session->close();  // DELETE
  // The session is gone: its id is refused.
  const auto r = http("POST", gw.url("/servers/plain/mcp"), R"({"jsonrpc":"2.0","id":9,"method":"ping"})",
                      {{"Mcp-Session-Id", "no-such-session"}});
  EXPECT_EQ(r.status, 404);
}

TEST(Gateway, AddServerProbesAndAnAbandonedOrDeniedAuthorizationLeavesNothingConfigured) {
  PeerProcess peer("oidc-server.mjs");
  const std::string config = write_config("add", Json::object());
  GatewayProcess gw(config, {"--consent-timeout", "3"});

  const auto probed = api_post(gw, "/api/probe", {{"url", peer.url()}});
  ASSERT_EQ(probed.status, 200) << probed.body;
  EXPECT_EQ(Json::parse(probed.body)["needs"], "oauth") << probed.body;

  // Abandoned: the consent is never given; after the consent timeout nothing remains.
  auto added = api_post(gw, "/api/servers", {{"name", "later"}, {"url", peer.url()}, {"authorize", true}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_TRUE(Json::parse(added.body).contains("authorization_url")) << added.body;
  EXPECT_TRUE(read_json_file(config)["mcpServers"].contains("later"));
  wait_for_row(gw, "later", [](const Json& r) { return r.is_null(); });
  EXPECT_FALSE(read_json_file(config)["mcpServers"].contains("later"));

  // Denied in the browser: the same.
  added = api_post(gw, "/api/servers", {{"name", "denied"}, {"url", peer.url()}, {"authorize", true}});
  ASSERT_EQ(added.status, 200) << added.body;
  const auto browser = follow(Json::parse(added.body)["authorization_url"], "--deny");
  wait_for_row(gw, "denied", [](const Json& r) { return r.is_null(); });
  EXPECT_FALSE(read_json_file(config)["mcpServers"].contains("denied"));

  // Completed: the server stays, authorized; removing it deletes the entry.
  added = api_post(gw, "/api/servers", {{"name", "kept"}, {"url", peer.url()}, {"authorize", true}});
  ASSERT_EQ(added.status, 200) << added.body;
  ASSERT_EQ(follow(Json::parse(added.body)["authorization_url"]).exit_code, 0);
  wait_for_row(gw, "kept", [](const Json& r) { return r.is_object() && r["state"] == "authorized"; });
  EXPECT_TRUE(read_json_file(config)["mcpServers"].contains("kept"));

  const auto removed =
      http("DELETE", gw.url("/api/servers/kept"), "", {{"X-CSRF-Token", state(gw)["csrf"].get<std::string>()}});
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_FALSE(read_json_file(config)["mcpServers"].contains("kept"));
  EXPECT_TRUE(row(gw, "kept").is_null());
}

TEST(Gateway, DashboardEventsStreamTheStateWithoutCsrfOrSecrets) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("events", {{"plain", {{"url", peer.url()}}}}));
  struct Reader final : net::HttpStreamHandler {
    std::string text;
    int status = 0;
    bool on_response_start(int s, const net::HttpHeaders&) override {
      status = s;
      return s == 200;
    }
    bool on_body(std::string_view chunk) override {
      text += chunk;
      return text.find("\n\n", text.find("event: state")) == std::string::npos;  // one whole event
    }
  } reader;
  net::CurlHttpClient client;
  net::HttpRequest request;
  request.url = gw.url("/api/events");
  request.total_timeout = std::chrono::seconds(30);
  client.stream(request, reader);
  EXPECT_EQ(reader.status, 200);
  const auto start = reader.text.find("data: ");
  ASSERT_NE(start, std::string::npos) << reader.text;
  const Json event = Json::parse(reader.text.substr(start + 6, reader.text.find('\n', start) - start - 6));
  EXPECT_FALSE(event.contains("csrf"));
  EXPECT_EQ(event["redirect_uri"], gw.url("/oauth/callback"));
  EXPECT_EQ(event["servers"][0]["name"], "plain");
  EXPECT_NE(http("GET", gw.url("/")).body.find("<"), std::string::npos);
}

// ---- hardening (issue 11) ------------------------------------------------------

// The resident memory of the gateway started with `config`, in KiB; 0 if not found.
long gateway_rss_kib(const std::string& config) {
  return std::max(0L, gateway_status(config, "VmRSS"));
}

// For the memory bounds below: under AddressSanitizer freed memory sits in a
// quarantine (256 MiB by default) that would count as kept; the gateway runs
// without it there, so what stays resident is what the gateway holds.
std::vector<std::string> measurable_memory_env() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  if (!asan) return {};
  return {std::string("ASAN_OPTIONS=") + asan + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"};
}

// Item 3: streams a chunked MCP POST of up to `chunks` 64 KiB chunks of JSON
// whitespace to a fresh gateway, which must answer 413 (when `closes`, stop
// reading before the last chunk and close the connection) without growing by
// the body, and go on serving.
void expect_chunked_body_refused(const std::string& name, std::size_t chunks, bool closes) {
  PeerProcess peer("streamable-server.mjs");
  const std::string config = write_config(name, {{"plain", {{"url", peer.url()}}}});
  GatewayProcess gw(config, {}, measurable_memory_env());
  ASSERT_EQ(http("GET", gw.url("/api/state")).status, 200);
  const long before = gateway_rss_kib(config);
  ASSERT_GT(before, 0);
  RawConnection c(gw.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("POST /servers/plain/mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) +
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";  // 64 KiB, sent again and again
  std::size_t sent = 0;
  while (sent < chunks && c.send(chunk)) ++sent;
  std::string answer;
  if (closes) {
    EXPECT_LT(sent, chunks) << "the gateway took the whole body";
    bool closed = false;
    std::tie(answer, closed) = c.receive_until_closed();
    EXPECT_TRUE(closed) << "the connection stayed open after the 413";
  } else {
    answer = c.receive("}}");
  }
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("larger than the gateway accepts"), std::string::npos) << answer.substr(0, 400);
  const long after = gateway_rss_kib(config);
  EXPECT_LT(after - before, 64 * 1024) << "the gateway kept the body: it grew from " << before << " to " << after
                                       << " KiB";
  EXPECT_EQ(http("GET", gw.url("/api/state")).status, 200);  // and still serves
}

// Item 3: cpp-httplib kept a chunked body whole, without a bound.
TEST(Gateway, ChunkedBodyOverTheCapIsRefusedWith413AndNotKept) {
  expect_chunked_body_refused("chunked", (16u << 20) / 0x10000 + 64, false);  // 4 MiB over the 16 MiB cap
}

// Item 3: a 400 MB chunked body, streamed: the gateway stops at the cap (16
// MiB for an MCP endpoint), answers 413 and closes the connection, without
// growing by the body.
TEST(Gateway, HugeChunkedBodyGets413AndTheConnectionClosedWithBoundedMemory) {
  expect_chunked_body_refused("huge", (400u << 20) / 0x10000, true);
}

// Item 5: connections trickling their request head a byte at a time (slowloris)
// cost no thread, do not keep others out, and are closed at the head deadline.
TEST(Gateway, TricklingRequestHeadsDoNotLockOthersOutAndAreClosedAtTheHeadDeadline) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("slowloris", {{"plain", {{"url", peer.url()}}}}),
                    {"--head-timeout", "1", "--max-connections-per-client", "2000"});
  const std::size_t files = test_platform::open_file_limit();
  const std::size_t count = std::min<std::size_t>(600, files > 200 ? (files - 100) / 2 : 50);
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (std::size_t i = 0; i < count; ++i) {
    slow.push_back(std::make_unique<RawConnection>(gw.port()));
    ASSERT_TRUE(slow.back()->connected()) << i;
  }
  const std::string head = "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) + "\r\nX-Slow: ";
  std::size_t sent = 0;  // bytes of the head each connection has sent
  std::vector<bool> open(count, true);
  auto trickle = [&] {
    const char byte = sent < head.size() ? head[sent] : 'a';  // a header value that never ends
    for (std::size_t i = 0; i < count; ++i) {
      if (open[i] && !slow[i]->send(std::string_view(&byte, 1))) open[i] = false;
    }
    ++sent;
  };
  for (int round = 0; round < 3; ++round) trickle();
  // While they trickle, an ordinary request is answered.
  const auto ordinary = http("GET", gw.url("/api/state"));
  EXPECT_EQ(ordinary.status, 200) << ordinary.body;
  EXPECT_NE(ordinary.body.find("\"servers\""), std::string::npos) << ordinary.body;
  // They keep trickling; the gateway closes each at its head deadline (EOF).
  std::size_t closed = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (closed < count && std::chrono::steady_clock::now() < give_up) {
    std::vector<RawConnection*> still;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < count; ++i) {
      if (!open[i]) continue;
      still.push_back(slow[i].get());
      which.push_back(i);
    }
    // Waits for an event; the rounds pace the trickle.
    for (const std::size_t k : testing::wait_readable(still, std::chrono::milliseconds(100))) {
      std::string ignored;  // readable: a read returns at once, with bytes or the end
      if (!still[k]->read_some(ignored)) open[which[k]] = false;
    }
    trickle();
    closed = static_cast<std::size_t>(std::count(open.begin(), open.end(), false));
  }
  EXPECT_EQ(closed, count) << "connections still open while trickling past the head deadline";
  EXPECT_EQ(http("GET", gw.url("/api/state")).status, 200);
}

// Item 5: one address may hold at most --max-connections-per-client
// connections; the next gets 503 from the server itself (no handler runs) and
// the ones under the cap keep working.
TEST(Gateway, ConnectionsOverThePerClientCapGet503AndTheOthersKeepWorking) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("conncap", {{"plain", {{"url", peer.url()}}}}), {"--max-connections-per-client", "3"});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(gw.port()));
    ASSERT_TRUE(held.back()->connected());
  }
  const std::string request = "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) + "\r\n";
  {
    RawConnection over(gw.port());
    ASSERT_TRUE(over.connected());
    over.send(request + "\r\n");
    const auto [answer, closed] = over.receive_until_closed();
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
    EXPECT_NE(answer.find("connections open to the gateway, the most one address may hold"), std::string::npos)
        << answer;
    EXPECT_EQ(answer.find("csrf"), std::string::npos) << "a handler answered: " << answer;
    EXPECT_TRUE(closed);
  }
  for (auto& c : held) {
    ASSERT_TRUE(c->send(request + "Connection: close\r\n\r\n"));
    const std::string answer = c->receive();
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
    EXPECT_NE(answer.find("\"csrf\""), std::string::npos) << answer;
  }
  held.clear();
  // The closed ones leave room again (their release follows the close: poll).
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    status = http("GET", gw.url("/api/state")).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

// Item 26: a POST with neither Content-Length nor Transfer-Encoding (curl
// -X POST) has an empty body; cpp-httplib waited for EOF and said "no such
// endpoint".
// Issue 13: a POST with no body (Content-Length: 0, or no framing at all,
// which RFC 9112 section 6.3 makes an empty body) is answered 400 with a
// JSON-RPC Parse error on the MCP endpoints, on a connection that stays usable.
TEST(Gateway, PostWithoutABodyIsAnsweredWithWhatToSend) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("nobody", {{"plain", {{"url", peer.url()}}}}));
  const std::string host = "Host: 127.0.0.1:" + std::to_string(gw.port()) + "\r\n";
  for (const std::string framing : {"", "Content-Length: 0\r\n"}) {
    for (const std::string path : {"/servers/plain/mcp", "/servers/plain/messages?sessionId=x"}) {
      RawConnection c(gw.port());
      ASSERT_TRUE(c.send("POST " + path + " HTTP/1.1\r\n" + host + framing + "Connection: close\r\n\r\n"));
      const std::string answer = c.receive();
      EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << framing << path << "\n" << answer;
      const Json error = Json::parse(answer.substr(answer.find("\r\n\r\n") + 4));
      EXPECT_EQ(error["error"]["code"], -32700) << answer;
      EXPECT_TRUE(error["id"].is_null()) << answer;
      EXPECT_NE(error["error"]["message"].get<std::string>().find("no body"), std::string::npos) << answer;
    }
  }
  {
    // Where the body is optional (a dashboard action), it is accepted.
    const std::string csrf = state(gw)["csrf"];
    RawConnection c(gw.port());
    ASSERT_TRUE(c.send("POST /api/servers/plain/reconnect HTTP/1.1\r\n" + host + "X-CSRF-Token: " + csrf +
                       "\r\nConnection: close\r\n\r\n"));
    const std::string answer = c.receive();
    EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
  }
  {
    // And where it is required in the API, the answer says what is missing.
    const std::string csrf = state(gw)["csrf"];
    RawConnection c(gw.port());
    ASSERT_TRUE(
        c.send("POST /api/probe HTTP/1.1\r\n" + host + "X-CSRF-Token: " + csrf + "\r\nConnection: close\r\n\r\n"));
    const std::string answer = c.receive();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("give the server's URL"), std::string::npos) << answer;
  }
}

// ---- local protocol (issue 13): batches and stateless 2026-07-28 clients ------

const net::HttpHeaders kAccept{{"Accept", "application/json, text/event-stream"}};

Json rpc_request(const Json& id, const std::string& method, const Json& params = nullptr) {
  Json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  return request;
}

// A raw handshake-era session through the gateway, in `version`: its Mcp-Session-Id.
std::string open_session(GatewayProcess& gw, const std::string& path, const std::string& version) {
  const Json params = {{"protocolVersion", version},
                       {"capabilities", Json::object()},
                       {"clientInfo", {{"name", "raw"}, {"version", "1"}}}};
  const auto r = http("POST", gw.url(path), rpc_request(0, "initialize", params).dump(), kAccept);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["result"]["protocolVersion"], version) << r.body;
  return r.headers.get("Mcp-Session-Id").value_or("");
}

const Json* answer_with_id(const Json& answers, const Json& id) {
  for (const auto& a : answers) {
    if (a["id"] == id) return &a;
  }
  return nullptr;
}

TEST(Gateway, BatchOfA20250326SessionGetsTheAnswersOfItsRequests) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("batch", {{"plain", {{"url", peer.url()}}}}));
  const std::string path = "/servers/plain/mcp";
  const std::string session = open_session(gw, path, "2025-03-26");
  ASSERT_FALSE(session.empty());
  net::HttpHeaders headers = kAccept;
  headers.set("Mcp-Session-Id", session);

  const Json batch =
      Json::array({{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                   rpc_request(1, "tools/list"),
                   rpc_request("two", "tools/call", {{"name", "add"}, {"arguments", {{"a", 2}, {"b", 3}}}})});
  const auto r = http("POST", gw.url(path), batch.dump(), headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("Content-Type").value_or("").rfind("application/json", 0), 0u);
  const Json answers = Json::parse(r.body);
  ASSERT_TRUE(answers.is_array()) << r.body;
  ASSERT_EQ(answers.size(), 2u) << r.body;
  const Json* listed = answer_with_id(answers, 1);
  ASSERT_NE(listed, nullptr) << r.body;
  const Json& tools = (*listed)["result"]["tools"];
  EXPECT_TRUE(std::any_of(tools.begin(), tools.end(), [](const Json& t) { return t["name"] == "add"; })) << r.body;
  const Json* added = answer_with_id(answers, "two");
  ASSERT_NE(added, nullptr) << r.body;
  EXPECT_EQ((*added)["result"]["content"][0]["text"], "5") << r.body;

  // An element that is no message is answered in place, beside the others' answers.
  const auto mixed = http("POST", gw.url(path), Json::array({rpc_request(3, "ping"), 42}).dump(), headers);
  ASSERT_EQ(mixed.status, 200) << mixed.body;
  const Json mixed_answers = Json::parse(mixed.body);
  ASSERT_EQ(mixed_answers.size(), 2u) << mixed.body;
  ASSERT_NE(answer_with_id(mixed_answers, 3), nullptr) << mixed.body;
  EXPECT_TRUE((*answer_with_id(mixed_answers, 3)).contains("result")) << mixed.body;
  ASSERT_NE(answer_with_id(mixed_answers, nullptr), nullptr) << mixed.body;
  EXPECT_EQ((*answer_with_id(mixed_answers, nullptr))["error"]["code"], -32600) << mixed.body;

  // Notifications only: 202 and no body.
  const auto notified =
      http("POST", gw.url(path),
           Json::array({{{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}}}).dump(), headers);
  EXPECT_EQ(notified.status, 202) << notified.body;
  EXPECT_TRUE(notified.body.empty()) << notified.body;

  // An empty batch is an Invalid Request.
  const auto empty = http("POST", gw.url(path), "[]", headers);
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(Json::parse(empty.body)["error"]["code"], -32600) << empty.body;
  EXPECT_TRUE(Json::parse(empty.body)["id"].is_null()) << empty.body;

  // So is one over the bound, and none of it is forwarded.
  Json many = Json::array();
  for (int i = 0; i < 101; ++i) many.push_back(rpc_request(100 + i, "ping"));
  const auto oversized = http("POST", gw.url(path), many.dump(), headers);
  EXPECT_EQ(oversized.status, 400) << oversized.body;
  EXPECT_EQ(Json::parse(oversized.body)["error"]["code"], -32600) << oversized.body;
  EXPECT_NE(oversized.body.find("at most 100"), std::string::npos) << oversized.body;

  // The session still answers single messages.
  const auto single = http("POST", gw.url(path), rpc_request(9, "ping").dump(), headers);
  EXPECT_EQ(single.status, 200) << single.body;
  EXPECT_EQ(Json::parse(single.body)["id"], 9) << single.body;
}

// 2025-06-18 removed batches: a session of that revision (or later), or none, gets an Invalid Request.
TEST(Gateway, BatchOutsideA20250326SessionIsRefused) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("nobatch", {{"plain", {{"url", peer.url()}}}}));
  const std::string path = "/servers/plain/mcp";
  const std::string session = open_session(gw, path, "2025-06-18");
  ASSERT_FALSE(session.empty());
  net::HttpHeaders headers = kAccept;
  headers.set("Mcp-Session-Id", session);
  const std::string batch = Json::array({rpc_request(1, "ping")}).dump();
  const auto refused = http("POST", gw.url(path), batch, headers);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Json::parse(refused.body)["error"]["code"], -32600) << refused.body;
  EXPECT_NE(refused.body.find("removed in protocol version 2025-06-18"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("speaks 2025-06-18"), std::string::npos) << refused.body;

  const auto sessionless = http("POST", gw.url(path), batch, kAccept);
  EXPECT_EQ(sessionless.status, 400) << sessionless.body;
  EXPECT_EQ(Json::parse(sessionless.body)["error"]["code"], -32600) << sessionless.body;
}

// A 2026-07-28 request as a stateless client sends it: the _meta envelope in
// its params and the headers that mirror it.
Json modern_request(const Json& id, const std::string& method, Json params = Json::object()) {
  params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                     {"io.modelcontextprotocol/clientInfo", {{"name", "stateless"}, {"version", "1"}}},
                     {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
  return rpc_request(id, method, params);
}

net::HttpHeaders modern_headers(const std::string& method, const std::string& name = "") {
  net::HttpHeaders headers = kAccept;
  headers.set("MCP-Protocol-Version", "2026-07-28");
  headers.set("Mcp-Method", method);
  if (!name.empty()) headers.set("Mcp-Name", name);
  return headers;
}

TEST(Gateway, StatelessModernClientsListAndCallToolsWithoutInitialize) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  GatewayProcess gw(write_config("stateless", {{"modern", {{"url", peer.url()}}}}));
  const std::string endpoint = gw.url("/servers/modern/mcp");

  const auto discovered =
      http("POST", endpoint, modern_request(1, "server/discover").dump(), modern_headers("server/discover"));
  ASSERT_EQ(discovered.status, 200) << discovered.body;
  const Json discover = Json::parse(discovered.body);
  EXPECT_EQ(discover["id"], 1) << discovered.body;
  EXPECT_TRUE(discover["result"]["capabilities"].contains("tools")) << discovered.body;
  EXPECT_FALSE(discovered.headers.contains("Mcp-Session-Id"));

  const auto listed = http("POST", endpoint, modern_request("a", "tools/list").dump(), modern_headers("tools/list"));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const Json list = Json::parse(listed.body);
  EXPECT_EQ(list["id"], "a") << listed.body;
  const Json& tools = list["result"]["tools"];
  EXPECT_TRUE(std::any_of(tools.begin(), tools.end(), [](const Json& t) { return t["name"] == "add"; })) << listed.body;

  // Two clients using the same id at once each get their own answer.
  const auto call = [&](const std::string& text) {
    return http("POST", endpoint,
                modern_request(7, "tools/call", {{"name", "echo"}, {"arguments", {{"text", text}}}}).dump(),
                modern_headers("tools/call", "echo"));
  };
  net::HttpResponse first;
  std::thread other([&] { first = call("first"); });
  auto second = call("second");
  other.join();
  for (const auto& [r, text] : {std::pair{&first, "first"}, std::pair{&second, "second"}}) {
    ASSERT_EQ(r->status, 200) << r->body;
    const Json answer = Json::parse(r->body);
    EXPECT_EQ(answer["id"], 7) << r->body;
    EXPECT_EQ(answer["result"]["content"][0]["text"], text) << r->body;
  }

  // A revision the remote server does not speak: its UnsupportedProtocolVersion error, with its 400.
  Json future = modern_request(2, "tools/list");
  future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
  net::HttpHeaders future_headers = modern_headers("tools/list");
  future_headers.set("MCP-Protocol-Version", "2099-01-01");
  const auto unsupported = http("POST", endpoint, future.dump(), future_headers);
  EXPECT_EQ(unsupported.status, 400) << unsupported.body;
  EXPECT_EQ(Json::parse(unsupported.body)["error"]["code"], -32022) << unsupported.body;
  EXPECT_EQ(Json::parse(unsupported.body)["id"], 2) << unsupported.body;

  // mcpauth's own client finds the modern revision through the gateway and uses it.
  auto session = connect(endpoint, mcp::TransportKind::streamable_http);
  EXPECT_TRUE(session->modern());
  EXPECT_EQ(session->call_tool("add", {{"a", 2}, {"b", 3}}).result["content"][0]["text"], "5");
  session->close();
}

// The gateway does not translate between eras: a stateless request to a
// handshake-era server gets a JSON-RPC error at once, after which mcpauth's
// own client negotiates a session through the gateway as before.
TEST(Gateway, StatelessRequestToAHandshakeEraServerGetsAnErrorAndClientsFallBack) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("eras", {{"plain", {{"url", peer.url()}}}}));
  const std::string endpoint = gw.url("/servers/plain/mcp");
  const auto r = http("POST", endpoint, modern_request(1, "tools/list").dump(), modern_headers("tools/list"));
  EXPECT_EQ(r.status, 200) << r.body;
  const Json answer = Json::parse(r.body);
  EXPECT_EQ(answer["id"], 1) << r.body;
  EXPECT_EQ(answer["error"]["code"], -32603) << r.body;
  EXPECT_FALSE(r.headers.contains("Mcp-Session-Id"));

  auto session = connect(endpoint, mcp::TransportKind::streamable_http);
  EXPECT_FALSE(session->modern());
  EXPECT_EQ(session->call_tool("add", {{"a", 2}, {"b", 3}}).result["content"][0]["text"], "5");
  session->close();
}

// 2026-07-28 "Server Validation": a mirrored header that is missing or
// contradicts the body is a 400 with HeaderMismatch (-32020).
TEST(Gateway, StatelessRequestWhoseHeadersContradictTheBodyGets400) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  GatewayProcess gw(write_config("mismatch", {{"modern", {{"url", peer.url()}}}}));
  const std::string endpoint = gw.url("/servers/modern/mcp");
  const auto expect_refused = [&](const net::HttpResponse& r, int code, const std::string& words) {
    EXPECT_EQ(r.status, 400) << r.body;
    const Json answer = Json::parse(r.body);
    EXPECT_EQ(answer["error"]["code"], code) << r.body;
    EXPECT_EQ(answer["id"], 1) << r.body;
    EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
  };
  const std::string list = modern_request(1, "tools/list").dump();
  expect_refused(http("POST", endpoint, list, modern_headers("tools/call")), -32020, "Mcp-Method");
  net::HttpHeaders no_method = modern_headers("tools/list");
  no_method.set("Mcp-Method", "");
  expect_refused(http("POST", endpoint, list, no_method), -32020, "Mcp-Method");
  net::HttpHeaders old_version = modern_headers("tools/list");
  old_version.set("MCP-Protocol-Version", "2025-11-25");
  expect_refused(http("POST", endpoint, list, old_version), -32020, "MCP-Protocol-Version");
  const std::string call =
      modern_request(1, "tools/call", {{"name", "add"}, {"arguments", {{"a", 1}, {"b", 1}}}}).dump();
  expect_refused(http("POST", endpoint, call, modern_headers("tools/call", "echo")), -32020, "Mcp-Name");
  expect_refused(http("POST", endpoint, call, modern_headers("tools/call")), -32020, "Mcp-Name");
  // Only Mcp-Name may come in the Base64 sentinel form, where the right name is the name.
  expect_refused(http("POST", endpoint, list, modern_headers("=?base64?dG9vbHMvbGlzdA==?=")), -32020, "Mcp-Method");
  const auto encoded = http("POST", endpoint, call, modern_headers("tools/call", "=?base64?YWRk?="));
  EXPECT_EQ(encoded.status, 200) << encoded.body;
  EXPECT_EQ(Json::parse(encoded.body)["result"]["content"][0]["text"], "2") << encoded.body;
  // A modern version header on a body without the envelope: Invalid params.
  expect_refused(
      http("POST", endpoint, rpc_request(1, "tools/list", Json::object()).dump(), modern_headers("tools/list")), -32602,
      "_meta");
}

// Item 9: the callback page said "Authorized" before the token exchange ran.
TEST(Gateway, CallbackPageTellsHowTheAuthorizationEnded) {
  struct Case {
    const char* mode;
    const char* title;
    const char* reason;  // in the page when it failed
  };
  for (const Case& c :
       {Case{"good", "<h1>Authorized</h1>", ""}, Case{"wrong-iss", "<h1>Not authorized</h1>", "names another issuer"},
        Case{"token-error", "<h1>Not authorized</h1>", "invalid_grant"}}) {
    SCOPED_TRACE(c.mode);
    PeerProcess peer("evil-oauth-server.mjs", {"--mode", c.mode});
    GatewayProcess gw(write_config(std::string("callback-") + c.mode, {{"evil", {{"url", peer.url()}}}}));
    const auto started = api_post(gw, "/api/servers/evil/authorize");
    ASSERT_EQ(started.status, 200) << started.body;
    const std::string authorization_url = Json::parse(started.body).value("authorization_url", "");
    ASSERT_FALSE(authorization_url.empty()) << started.body;
    // The AS approves at once: its redirect is the browser's next stop.
    const auto redirect = http("GET", authorization_url);
    ASSERT_EQ(redirect.status, 302) << redirect.body;
    const auto location = redirect.headers.get("Location");
    ASSERT_TRUE(location.has_value());
    const auto page = http("GET", *location);
    EXPECT_NE(page.body.find(c.title), std::string::npos) << page.body;
    EXPECT_NE(page.body.find(c.reason), std::string::npos) << page.body;
    expect_no_secrets(page.body);
  }
}

// Item 10: sessions are budgeted per client address, with a clear error.
TEST(Gateway, SessionsOverThePerClientBoundGetAClearError) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("budget", {{"plain", {{"url", peer.url()}}}}), {"--max-sessions-per-client", "2"});
  const std::string endpoint = gw.url("/servers/plain/mcp");
  auto first = connect(endpoint, mcp::TransportKind::streamable_http);
  auto second = connect(endpoint, mcp::TransportKind::streamable_http);
  const std::string initialize =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
  const auto refused = http("POST", endpoint, initialize, {{"Accept", "application/json, text/event-stream"}});
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("has 2 gateway sessions open, the most one address may hold"), std::string::npos)
      << refused.body;
  first->close();  // DELETE ends one: room again
  auto third = connect(endpoint, mcp::TransportKind::streamable_http);
  EXPECT_EQ(third->call_tool("echo", {{"text", "room"}}).result["content"][0]["text"], "room");
  third->close();
  second->close();
}

std::string last_error(const Json& row) {
  return row.is_object() && row["last_error"].is_string() ? row["last_error"].get<std::string>() : "";
}

// Item 6: the CLI's plain-http rule, and its --allow-http, in the gateway too.
TEST(Gateway, PlainHttpOffLoopbackIsRefusedUnlessAllowed) {
  const std::string config = write_config("plainhttp", {{"far", {{"url", "http://192.0.2.1:9/mcp"}}}});
  {
    GatewayProcess gw(config);
    const Json r = wait_for_row(gw, "far", [](const Json& r) { return r.is_object() && r["last_error"].is_string(); });
    EXPECT_NE(last_error(r).find("plain http"), std::string::npos) << r.dump();
    const auto local = http("POST", gw.url("/servers/far/mcp"), R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
    EXPECT_NE(local.body.find("plain http"), std::string::npos) << local.status << " " << local.body;
    const auto probe = api_post(gw, "/api/probe", {{"url", "http://192.0.2.1:9/mcp"}});
    EXPECT_EQ(probe.status, 400) << probe.body;
    EXPECT_NE(probe.body.find("--allow-http"), std::string::npos) << probe.body;
    const auto add = api_post(gw, "/api/servers", {{"name", "far2"}, {"url", "http://192.0.2.1:9/mcp"}});
    EXPECT_EQ(add.status, 400) << add.body;
  }
  {
    GatewayProcess gw(config, {"--allow-http"});
    const Json r = row(gw, "far");
    EXPECT_EQ(last_error(r).find("plain http"), std::string::npos) << r.dump();
  }
}

// Item 4: on loopback without an API key, another local user read the CSRF
// token and used the owner's grants. Requests come from uid 65534 through
// setpriv, which needs root (CI runs the tests as root).
TEST(Gateway, OnLoopbackOnlyItsOwnUserGetsInWithoutTheApiKey) {
  ASSERT_TRUE(test_platform::running_as_root())
      << "this test makes requests as another user (uid 65534) with setpriv, which needs "
         "root: run the integration tests as root (as CI does)";
  PeerProcess peer("streamable-server.mjs");
  const std::string config = write_config("owner", {{"plain", {{"url", peer.url()}}}});
  auto as_nobody = [](const std::string& url, const std::string& header = "") {
    std::vector<std::string> argv = {
        "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s", "-w",
        "\n%{http_code}"};
    if (!header.empty()) argv.insert(argv.end(), {"-H", header});
    argv.push_back(url);
    return run_command(argv, {}, std::chrono::seconds(30));
  };
  {
    GatewayProcess gw(config);
    const auto other = as_nobody(gw.url("/api/state"));
    ASSERT_EQ(other.exit_code, 0) << other.err;
    EXPECT_EQ(other.out.substr(other.out.rfind('\n') + 1), "403") << other.out;
    EXPECT_NE(other.out.find("only the user who started the gateway"), std::string::npos) << other.out;
    EXPECT_EQ(other.out.find("csrf"), std::string::npos) << other.out;
    const auto mcp = as_nobody(gw.url("/servers/plain/mcp"));
    EXPECT_EQ(mcp.out.substr(mcp.out.rfind('\n') + 1), "403") << mcp.out;
    EXPECT_EQ(http("GET", gw.url("/api/state")).status, 200);  // the owner still gets in
  }
  {
    // With an API key, whoever has it gets in, whatever their uid.
    GatewayProcess gw(config, {"--api-key-env", "GW_KEY"}, {"GW_KEY=" + kApiKey});
    const auto keyed = as_nobody(gw.url("/api/state"), "Authorization: Bearer " + kApiKey);
    EXPECT_EQ(keyed.out.substr(keyed.out.rfind('\n') + 1), "200") << keyed.out;
    const auto unkeyed = as_nobody(gw.url("/api/state"));
    EXPECT_EQ(unkeyed.out.substr(unkeyed.out.rfind('\n') + 1), "403") << unkeyed.out;
  }
}

}  // namespace
}  // namespace mcpauth

namespace mcpauth {
namespace {

int thread_count(long pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// A local Streamable HTTP session opened by hand, without a local GET
// stream (which would hold a handler thread of the gateway's local side).
std::string open_raw_session(const std::string& endpoint) {
  const std::string initialize =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
  const net::HttpHeaders accept{{"Accept", "application/json, text/event-stream"}};
  const auto r = http("POST", endpoint, initialize, accept);
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string id = r.headers.get("Mcp-Session-Id").value_or("");
  net::HttpHeaders headers = accept;
  headers.set("Mcp-Session-Id", id);
  headers.set("MCP-Protocol-Version", "2025-11-25");
  // The bridge opens the remote event stream when the client says initialized.
  const auto n = http("POST", endpoint, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", headers);
  EXPECT_EQ(n.status, 202) << n.body;
  return id;
}

// Reads the local GET stream of `session` until `needle` arrives (or 30 s pass).
bool local_stream_carries(const std::string& endpoint, const std::string& session, const std::string& needle) {
  class Until final : public net::HttpStreamHandler {
   public:
    explicit Until(std::string needle) : needle_(std::move(needle)) {}
    bool on_response_start(int, const net::HttpHeaders&) override { return true; }
    bool on_body(std::string_view chunk) override {
      body.append(chunk);
      return body.find(needle_) == std::string::npos;
    }
    std::string body;

   private:
    std::string needle_;
  } until(needle);
  net::HttpRequest get;
  get.url = endpoint;
  get.headers = {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}};
  get.total_timeout = std::chrono::seconds(30);
  try {
    net::CurlHttpClient().stream(get, until);
  } catch (const Error& e) {
    ADD_FAILURE() << e.what() << "\n" << until.body;
  }
  return until.body.find(needle) != std::string::npos;
}

// Issue 13: the bridges' remote event streams run on one event loop, so
// hundreds of local sessions with open remote streams hold no thread each;
// the server's messages still reach the sessions.
TEST(Gateway, RemoteEventStreamsOfManySessionsShareOneLoopAndStillDeliver) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("many", {{"plain", {{"url", peer.url()}}}}), {"--max-sessions-per-client", "512"});
  const std::string endpoint = gw.url("/servers/plain/mcp");
  constexpr int kSessions = 200;
  std::vector<std::string> sessions;
  for (int i = 0; i < kSessions; ++i) sessions.push_back(open_raw_session(endpoint));

  const int threads = thread_count(gw.command().pid());
  RecordProperty("gateway_threads", threads);  // in the test's XML report
  EXPECT_GT(threads, 0);
  EXPECT_LE(threads, 32) << "with " << kSessions << " remote event streams open";

  // The remote streams are open: a notification the server sends on the
  // standalone stream of the first and the last session reaches each.
  for (const std::string& id : {sessions.front(), sessions.back()}) {
    net::HttpHeaders headers{{"Accept", "application/json, text/event-stream"},
                             {"Mcp-Session-Id", id},
                             {"MCP-Protocol-Version", "2025-11-25"}};
    const auto call = http(
        "POST", endpoint,
        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"notify_later","arguments":{"delay_ms":10}}})",
        headers);
    EXPECT_EQ(call.status, 200) << call.body;
    EXPECT_TRUE(local_stream_carries(endpoint, id, "notifications/tools/list_changed"));
  }
  EXPECT_LE(thread_count(gw.command().pid()), 32);
  for (const std::string& id : sessions) http("DELETE", endpoint, "", {{"Mcp-Session-Id", id}});
}

}  // namespace
}  // namespace mcpauth

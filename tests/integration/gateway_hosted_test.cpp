// The gateway behind a TLS reverse proxy and for a team (issue 14): with
// --public-url it publishes its own Client ID Metadata Document, which an
// authorization server that supports them fetches and checks (the
// evil-oauth-server's cimd-fetch mode), so the gateway needs no dynamic
// registration there; where the server has no such support it registers
// the public callback. With --webhook, a real receiver on 127.0.0.1
// (tests/peers/webhook-receiver.mjs) checks the signature of each
// authorized / failed / revoked event.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cctype>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "gateway_harness.hpp"
#include "gateway_users_harness.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::cli;
using testing::GatewayProcess;
using testing::http;
using testing::PeerProcess;
using testing::run_command;
using testing::test_home;
using testing::write_config;

// A port nothing listens on now (the kernel's pick): the gateway binds it
// next, so its public URL can name it before it starts.
int hosted_free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::address_v4::loopback(), 0});
  return probe.local_endpoint().port();
}

Json hosted_state(GatewayProcess& gw, const net::HttpHeaders& auth = {}) {
  const auto r = http("GET", gw.url("/api/state"), "", auth);
  EXPECT_EQ(r.status, 200) << r.body;
  return Json::parse(r.body);
}

net::HttpResponse hosted_post(GatewayProcess& gw, const std::string& path, const net::HttpHeaders& auth = {}) {
  net::HttpHeaders headers = auth;
  headers.set("X-CSRF-Token", hosted_state(gw, auth)["csrf"].get<std::string>());
  return http("POST", gw.url(path), "{}", headers);
}

// Polls until `done` holds for what `read` answers (an observable condition, with a deadline).
Json hosted_wait(GatewayProcess& gw, const std::function<Json()>& read, const std::function<bool(const Json&)>& done,
                 const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Json last;
  while (std::chrono::steady_clock::now() < deadline) {
    gw.command().read_output();
    last = read();
    if (done(last)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << what << " never happened: " << last.dump() << "\n" << gw.command().err();
  return last;
}

Json hosted_row(GatewayProcess& gw, const std::string& name) {
  const Json state = hosted_state(gw);
  for (const auto& r : state["servers"]) {
    if (r["name"] == name) return r;
  }
  return nullptr;
}

Json wait_state(GatewayProcess& gw, const std::string& name, const std::string& state) {
  return hosted_wait(
      gw, [&] { return hosted_row(gw, name); }, [&](const Json& r) { return r.is_object() && r["state"] == state; },
      name + " reaching " + state);
}

std::string url_encoded(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Starts an authorization and plays the browser: the peer's authorization
// server approves (or refuses) at once; its redirect goes to the callback.
// Returns the authorization URL.
std::string authorize_through(GatewayProcess& gw, const std::string& name, int expected_authorize_status = 302,
                              const net::HttpHeaders& auth = {}) {
  const auto started = hosted_post(gw, "/api/servers/" + name + "/authorize", auth);
  EXPECT_EQ(started.status, 200) << started.body;
  const std::string url = Json::parse(started.body).value("authorization_url", "");
  EXPECT_FALSE(url.empty()) << started.body;
  if (url.empty()) return url;
  const auto redirect = http("GET", url);
  EXPECT_EQ(redirect.status, expected_authorize_status) << redirect.body;
  if (redirect.status == 302) {
    const auto page = http("GET", redirect.headers.get("Location").value_or(""));
    EXPECT_EQ(page.status, 200) << page.body;
  }
  return url;
}

Json peer_log(const PeerProcess& peer) {
  return Json::parse(http("GET", peer.url("/__log")).body);
}

int count_paths(const Json& log, const std::string& path) {
  int n = 0;
  for (const auto& e : log) n += e["path"] == path ? 1 : 0;
  return n;
}

std::string call_echo(GatewayProcess& gw, const std::string& name, const std::string& text) {
  mcp::SessionOptions options;
  options.url = gw.url("/servers/" + name + "/mcp");
  options.request_timeout = std::chrono::seconds(30);
  auto session = mcp::Session::connect(options);
  const auto answer = session->call_tool("echo", {{"text", text}}).result["content"][0]["text"];
  session->close();
  return answer.is_string() ? answer.get<std::string>() : answer.dump();
}

TEST(GatewayHosted, PublicUrlMakesTheGatewayItsOwnMetadataDocumentClient) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "cimd-fetch"});
  const int port = hosted_free_port();
  const std::string public_url = "http://127.0.0.1:" + std::to_string(port);
  GatewayProcess gw(write_config("hosted-cimd", {{"team", {{"url", peer.url()}}}}),
                    {"--listen", "127.0.0.1:" + std::to_string(port), "--public-url", public_url + "/"});
  const std::string document_url = public_url + "/oauth/client-metadata.json";
  const std::string callback = public_url + "/oauth/callback";

  // The document, as an authorization server fetches it: no key, its own URL as client id.
  const auto document = http("GET", gw.url("/oauth/client-metadata.json"));
  ASSERT_EQ(document.status, 200) << document.body;
  const Json doc = Json::parse(document.body);
  EXPECT_EQ(doc["client_id"], document_url);
  EXPECT_EQ(doc["redirect_uris"], Json::array({callback}));
  EXPECT_EQ(doc["token_endpoint_auth_method"], "none");
  const Json state = hosted_state(gw);
  EXPECT_EQ(state["redirect_uri"], callback);
  EXPECT_EQ(state["client_metadata_url"], document_url);

  const std::string authorization_url = authorize_through(gw, "team");
  EXPECT_NE(authorization_url.find("client_id=" + url_encoded(document_url)), std::string::npos) << authorization_url;
  EXPECT_NE(authorization_url.find("redirect_uri=" + url_encoded(callback)), std::string::npos) << authorization_url;
  const Json row = wait_state(gw, "team", "authorized");
  EXPECT_EQ(row["client_type"], "metadata_document") << row.dump();
  EXPECT_EQ(call_echo(gw, "team", "one client everywhere"), "one client everywhere");

  // The authorization server fetched and accepted the document; nobody registered.
  const Json log = peer_log(peer);
  EXPECT_EQ(count_paths(log, "/register"), 0) << log.dump();
  int checked = 0;
  for (const auto& e : log) {
    if (e["path"] == "/authorize" && e.contains("cimd")) {
      EXPECT_EQ(e["cimd"]["ok"], true) << e.dump();
      ++checked;
    }
  }
  EXPECT_EQ(checked, 1) << log.dump();
}

// The negative of the above: a public URL the authorization server cannot
// fetch the document from (nothing listens there) is refused by it, so the
// test above passed because the document was fetched and checked.
TEST(GatewayHosted, AnAuthorizationServerThatCannotFetchTheDocumentRefuses) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "cimd-fetch"});
  const std::string elsewhere = "http://127.0.0.1:" + std::to_string(hosted_free_port());
  GatewayProcess gw(write_config("hosted-cimd-unreachable", {{"team", {{"url", peer.url()}}}}),
                    {"--public-url", elsewhere});
  authorize_through(gw, "team", 400);
  const Json log = peer_log(peer);
  bool refused = false;
  for (const auto& e : log) {
    if (e["path"] == "/authorize" && e.contains("cimd")) refused = e["cimd"]["ok"] == false;
  }
  EXPECT_TRUE(refused) << log.dump();
  EXPECT_EQ(count_paths(log, "/register"), 0) << log.dump();
}

TEST(GatewayHosted, WithoutMetadataDocumentSupportTheGatewayRegistersThePublicCallback) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const int port = hosted_free_port();
  const std::string public_url = "http://127.0.0.1:" + std::to_string(port);
  GatewayProcess gw(write_config("hosted-dcr", {{"team", {{"url", peer.url()}}}}),
                    {"--listen", "127.0.0.1:" + std::to_string(port), "--public-url", public_url});
  const std::string authorization_url = authorize_through(gw, "team");
  EXPECT_NE(authorization_url.find("client_id=evil-client-1"), std::string::npos) << authorization_url;
  EXPECT_EQ(wait_state(gw, "team", "authorized")["client_type"], "dynamic");
  EXPECT_EQ(call_echo(gw, "team", "registered"), "registered");
  const Json log = peer_log(peer);
  ASSERT_EQ(count_paths(log, "/register"), 1) << log.dump();
  for (const auto& e : log) {
    if (e["path"] == "/register") {
      EXPECT_EQ(e["redirect_uris"], Json::array({public_url + "/oauth/callback"})) << e.dump();
    }
  }
}

TEST(GatewayHosted, BadOptionsAreRefusedClearly) {
  const std::string config = write_config("hosted-usage", Json::object());
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    const char* says;
  };
  for (const Case& c :
       {Case{{"--public-url", "http://gateway.example.com"}, {}, "--public-url must be https"},
        Case{{"--public-url", "https://gateway.example.com/?x=1"}, {}, "must not have a query"},
        Case{{"--webhook", "https://hooks.example.com/x"}, {}, "--webhook needs --webhook-secret-env"},
        Case{{"--webhook", "https://hooks.example.com/x", "--webhook-secret-env", "HOSTED_SHORT"},
             {"HOSTED_SHORT=short"},
             "at least 16 bytes"},
        Case{{"--webhook", "http://hooks.example.com/x", "--webhook-secret-env", "HOSTED_LONG"},
             {"HOSTED_LONG=0123456789abcdef0123"},
             "--webhook must be an https URL"},
        Case{{"--webhook-secret-env", "HOSTED_LONG"}, {"HOSTED_LONG=0123456789abcdef0123"}, "without --webhook"}}) {
    std::vector<std::string> argv = cli({"gateway", "--config", config, "--listen", "127.0.0.1:0"});
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run_command(argv, c.env);
    EXPECT_EQ(r.exit_code, 2) << c.says << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("0123456789abcdef0123"), std::string::npos) << r.err;  // never the key
  }
}

// ---- the webhook ----------------------------------------------------------------

const std::string kHostedWebhookSecret = "hosted-webhook-secret-0123456789";

class WebhookReceiver {
 public:
  explicit WebhookReceiver(const std::string& secret, const std::vector<std::string>& extra = {})
      : peer_("webhook-receiver.mjs", args(secret, extra)) {}

  std::string hook_url() const { return peer_.url("/hook"); }
  Json events() const { return Json::parse(http("GET", peer_.url("/events")).body); }

 private:
  static std::vector<std::string> args(const std::string& secret, const std::vector<std::string>& extra) {
    static int files = 0;
    const std::string path = test_home() + "/webhook-secret-" + std::to_string(++files);
    std::ofstream(path) << secret;
    std::vector<std::string> argv = {"--secret-file", path};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  PeerProcess peer_;
};

std::vector<std::string> webhook_flags(const WebhookReceiver& receiver) {
  return {"--webhook", receiver.hook_url(), "--webhook-secret-env", "HOSTED_WEBHOOK_SECRET"};
}

Json wait_events(GatewayProcess& gw, const WebhookReceiver& receiver, std::size_t count) {
  return hosted_wait(
      gw, [&] { return receiver.events(); }, [&](const Json& events) { return events.size() >= count; },
      std::to_string(count) + " webhook deliveries");
}

TEST(GatewayHosted, WebhookSignsAuthorizedFailedAndRevokedEvents) {
  PeerProcess good("evil-oauth-server.mjs", {"--mode", "good"});
  PeerProcess refusing("evil-oauth-server.mjs", {"--mode", "token-error"});
  WebhookReceiver receiver(kHostedWebhookSecret);
  GatewayProcess gw(
      write_config("hosted-webhook", {{"good", {{"url", good.url()}}}, {"bad", {{"url", refusing.url()}}}}),
      webhook_flags(receiver), {"HOSTED_WEBHOOK_SECRET=" + kHostedWebhookSecret});

  authorize_through(gw, "good");
  Json events = wait_events(gw, receiver, 1);
  EXPECT_EQ(events[0]["event"], "authorized") << events.dump();
  EXPECT_EQ(events[0]["server"], "good");
  EXPECT_EQ(events[0]["valid"], true) << events.dump();
  EXPECT_EQ(events[0]["user"], nullptr);  // no users: no user
  EXPECT_TRUE(std::regex_match(events[0]["at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << events[0].dump();

  authorize_through(gw, "bad");  // the token endpoint refuses the code
  events = wait_events(gw, receiver, 2);
  EXPECT_EQ(events[1]["event"], "failed") << events.dump();
  EXPECT_EQ(events[1]["server"], "bad");
  EXPECT_EQ(events[1]["valid"], true);
  EXPECT_NE(events[1]["reason"].get<std::string>().find("invalid_grant"), std::string::npos) << events.dump();

  const auto logout = hosted_post(gw, "/api/servers/good/logout");
  EXPECT_EQ(logout.status, 200) << logout.body;
  events = wait_events(gw, receiver, 3);
  EXPECT_EQ(events[2]["event"], "revoked") << events.dump();
  EXPECT_EQ(events[2]["server"], "good");
  EXPECT_EQ(events[2]["valid"], true);
  for (const auto& e : events) EXPECT_EQ(e["status"], 204) << e.dump();
  // Nothing of the key in the gateway's log.
  EXPECT_EQ(gw.command().err().find(kHostedWebhookSecret), std::string::npos);
}

TEST(GatewayHosted, WebhookIsRetriedAfterA500AndArrivesOnce) {
  PeerProcess good("evil-oauth-server.mjs", {"--mode", "good"});
  WebhookReceiver receiver(kHostedWebhookSecret, {"--fail-first", "1"});
  GatewayProcess gw(write_config("hosted-webhook-retry", {{"good", {{"url", good.url()}}}}), webhook_flags(receiver),
                    {"HOSTED_WEBHOOK_SECRET=" + kHostedWebhookSecret});
  authorize_through(gw, "good");
  const Json events = wait_events(gw, receiver, 2);
  ASSERT_EQ(events.size(), 2u) << events.dump();
  EXPECT_EQ(events[0]["status"], 500);
  EXPECT_EQ(events[1]["status"], 204);
  EXPECT_EQ(events[1]["event"], "authorized");
  EXPECT_EQ(events[1]["valid"], true);
  // One event: the retry is the same delivery.
  EXPECT_EQ(events[0]["delivery"], events[1]["delivery"]) << events.dump();
  EXPECT_TRUE(events[0]["delivery"].is_string()) << events.dump();
  hosted_wait(
      gw, [&] { return Json(gw.command().err()); },
      [](const Json& err) { return err.get<std::string>().find("answered HTTP 500") != std::string::npos; },
      "the retry's log line");
}

TEST(GatewayHosted, AReceiverWithAnotherKeyRejectsTheSignature) {
  PeerProcess good("evil-oauth-server.mjs", {"--mode", "good"});
  WebhookReceiver receiver("the-receivers-own-other-secret-00");
  GatewayProcess gw(write_config("hosted-webhook-wrong", {{"good", {{"url", good.url()}}}}), webhook_flags(receiver),
                    {"HOSTED_WEBHOOK_SECRET=" + kHostedWebhookSecret});
  authorize_through(gw, "good");
  const Json events = wait_events(gw, receiver, 1);
  EXPECT_EQ(events[0]["event"], "authorized");
  EXPECT_EQ(events[0]["valid"], false) << events.dump();
  EXPECT_EQ(events[0]["status"], 401);
}

// A refresh the authorization server refuses with invalid_grant (the grant
// was revoked there) is a failed event: the grant is gone.
TEST(GatewayHosted, WebhookHearsOfARefreshRefusedForGood) {
  PeerProcess revoking("evil-oauth-server.mjs", {"--mode", "refresh-revoked"});
  WebhookReceiver receiver(kHostedWebhookSecret);
  GatewayProcess gw(write_config("hosted-webhook-refresh", {{"gone", {{"url", revoking.url()}}}}),
                    webhook_flags(receiver), {"HOSTED_WEBHOOK_SECRET=" + kHostedWebhookSecret});
  authorize_through(gw, "gone");
  Json events = wait_events(gw, receiver, 1);
  EXPECT_EQ(events[0]["event"], "authorized") << events.dump();
  // The first access token is refused on tools/call: the gateway refreshes, and is refused.
  EXPECT_THROW(call_echo(gw, "gone", "after the revocation"), Error);
  events = wait_events(gw, receiver, 2);
  EXPECT_EQ(events[1]["event"], "failed") << events.dump();
  EXPECT_EQ(events[1]["server"], "gone");
  EXPECT_EQ(events[1]["valid"], true);
  EXPECT_NE(events[1]["reason"].get<std::string>().find("invalid_grant"), std::string::npos) << events.dump();
}

// With users, each event names whose grant it was; removing the user (the
// CLI, another process) is heard of at the gateway's next sweep.
TEST(GatewayHosted, WebhookNamesTheUserAndHearsOfItsRemoval) {
  PeerProcess good("evil-oauth-server.mjs", {"--mode", "good"});
  WebhookReceiver receiver(kHostedWebhookSecret);
  const auto alice = testing::bearer(testing::add_user("alice"));
  GatewayProcess gw(write_config("hosted-webhook-users", {{"good", {{"url", good.url()}}}}), webhook_flags(receiver),
                    {"HOSTED_WEBHOOK_SECRET=" + kHostedWebhookSecret});
  authorize_through(gw, "good", 302, alice);
  Json events = wait_events(gw, receiver, 1);
  EXPECT_EQ(events[0]["event"], "authorized") << events.dump();
  EXPECT_EQ(events[0]["user"], "alice") << events.dump();
  const auto removed = run_command(cli({"users", "remove", "alice"}));
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  events = wait_events(gw, receiver, 2);
  EXPECT_EQ(events[1]["event"], "revoked") << events.dump();
  EXPECT_EQ(events[1]["user"], "alice") << events.dump();
  EXPECT_EQ(events[1]["server"], "good");
  EXPECT_EQ(events[1]["valid"], true);
}

}  // namespace
}  // namespace mcpauth

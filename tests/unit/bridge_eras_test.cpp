// The Bridge between a handshake-era client and a server that speaks only
// the 2026-07-28 revision, driven in-process over a scripted HTTP client:
// the server/discover in place of the refused initialize, the initialize
// answered by the bridge, the per-request `_meta` on every later message,
// input-required results unpacked into requests to the client, the
// client's cancellation of a request that waits for its input, the
// listen stream's list_changed notifications, and a handshake-era server
// left as it was.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "delivered_messages.hpp"
#include "jsonrpc_answer.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

namespace rpc = core::jsonrpc;
using test_support::answer;
using test_support::ScriptedHttpClient;

constexpr const char* kServer = "https://modern.example/mcp";
constexpr const char* kVersionKey = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kClientInfoKey = "io.modelcontextprotocol/clientInfo";

Json body_of(const net::HttpRequest& request) {
  return Json::parse(request.body);
}

// A JSON-RPC error answering the request, in a 400 (as a modern server refuses a version).
ScriptedHttpClient::Responder error_answer(int code, Json data) {
  return [code, data = std::move(data)](const net::HttpRequest& request) {
    net::HttpResponse response;
    response.status = 400;
    response.headers.set("Content-Type", "application/json");
    response.body = Json{{"jsonrpc", "2.0"},
                         {"id", Json::parse(request.body)["id"]},
                         {"error", {{"code", code}, {"message", "unsupported"}, {"data", data}}}}
                        .dump();
    return response;
  };
}

ScriptedHttpClient::Responder refuse_handshake() {
  return error_answer(kUnsupportedProtocolVersionError, Json{{"supported", {"2026-07-28"}}});
}

// A server that offers no list_changed notifications: nothing to listen to.
Json discover_result(Json capabilities = Json{{"tools", Json::object()}}) {
  return Json{{"supportedVersions", {"2026-07-28"}},
              {"capabilities", std::move(capabilities)},
              {"_meta", {{"io.modelcontextprotocol/serverInfo", {{"name", "modern"}, {"version", "2"}}}}}};
}

rpc::Request host_initialize() {
  return rpc::Request{1, "initialize",
                      Json{{"protocolVersion", "2025-06-18"},
                           {"capabilities", {{"elicitation", Json::object()}}},
                           {"clientInfo", {{"name", "host"}, {"version", "9"}}}}};
}

using Host = test_support::Delivered;  // what the bridge delivered to the client

BridgeOptions options_for(std::shared_ptr<net::HttpClient> http) {
  BridgeOptions options;
  options.session.url = kServer;
  options.session.transport = TransportKind::automatic;
  options.session.http = std::move(http);
  options.first_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(2);
  return options;
}

// A bridge whose host's initialize was refused for the handshake, then
// discovered; the bridge's answer is the host's first message.
class Translated : public ::testing::Test {
 protected:
  void SetUp() override {
    http->then(refuse_handshake()).then(answer(discover_result()));
    bridge.forward(host_initialize());
    bridge.forward(rpc::Notification{"notifications/initialized", nullptr});
    ASSERT_EQ(host.count(), 1u);
  }

  std::shared_ptr<ScriptedHttpClient> http = std::make_shared<ScriptedHttpClient>();
  Host host;
  Bridge bridge{options_for(http), host.sink()};
};

TEST_F(Translated, AHandshakeClientsInitializeIsAnsweredFromServerDiscover) {
  const rpc::Message initialized_message = host.at(0);
  const auto* initialized = std::get_if<rpc::Response>(&initialized_message);
  ASSERT_NE(initialized, nullptr);
  EXPECT_EQ(initialized->id, 1);
  EXPECT_EQ(initialized->result["protocolVersion"], "2025-06-18");
  EXPECT_EQ(initialized->result["serverInfo"]["name"], "modern");
  EXPECT_EQ(initialized->result["capabilities"], (Json{{"tools", Json::object()}}));

  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 2u) << "notifications/initialized is not sent";
  EXPECT_EQ(body_of(sent[0]), Json::parse(rpc::serialize(host_initialize()))) << "tried as it is first";
  const Json discover = body_of(sent[1]);
  EXPECT_EQ(discover["method"], "server/discover");
  EXPECT_NE(discover["id"], 1) << "the bridge's own request";
  EXPECT_EQ(discover["params"]["_meta"][kVersionKey], "2026-07-28");
  EXPECT_EQ(discover["params"]["_meta"][kClientInfoKey], host_initialize().params["clientInfo"]);
  EXPECT_EQ(sent[1].headers.get("Mcp-Method"), "server/discover");
}

TEST_F(Translated, LaterRequestsCarryTheModernMetaAndHeaders) {
  http->then(answer(Json{{"resultType", "complete"}, {"tools", Json::array()}}));
  bridge.forward(rpc::Request{"l", "tools/list", Json::object()});

  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 3u);
  const Json list = body_of(sent[2]);
  EXPECT_EQ(list["id"], "l") << "the client's own id";
  EXPECT_EQ(list["params"]["_meta"][kVersionKey], "2026-07-28");
  EXPECT_EQ(sent[2].headers.get("MCP-Protocol-Version"), "2026-07-28");
  EXPECT_EQ(sent[2].headers.get("Mcp-Method"), "tools/list");
  EXPECT_FALSE(sent[2].headers.contains("Mcp-Session-Id"));
  const rpc::Message listed_message = host.at(1);
  const auto* listed = std::get_if<rpc::Response>(&listed_message);
  ASSERT_NE(listed, nullptr);
  EXPECT_EQ(listed->id, "l");
  EXPECT_EQ(listed->result, (Json{{"tools", Json::array()}})) << "no resultType for a handshake-era client";
}

TEST_F(Translated, APingIsAnsweredByTheBridge) {
  bridge.forward(rpc::Request{"p", "ping", nullptr});
  EXPECT_EQ(http->requests().size(), 2u) << "the modern era has no ping";
  const rpc::Message pong = host.at(1);
  ASSERT_TRUE(std::holds_alternative<rpc::Response>(pong));
  EXPECT_EQ(rpc::id_of(pong), "p");
}

Json elicitation_asked() {
  return Json{{"resultType", "input_required"},
              {"inputRequests", {{"who", {{"method", "elicitation/create"}, {"params", {{"message", "Your name?"}}}}}}},
              {"requestState", "asked-name"}};
}

TEST_F(Translated, AnInputRequiredResultBecomesARequestToTheClientAndTheCallIsRetried) {
  http->then(answer(elicitation_asked())).then(answer(Json{{"content", {{{"type", "text"}, {"text", "hi ada"}}}}}));

  std::thread call([&] { bridge.forward(rpc::Request{2, "tools/call", Json{{"name", "greet"}}}); });
  const rpc::Message asked = host.at(1);
  const auto* request = std::get_if<rpc::Request>(&asked);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->method, "elicitation/create");
  EXPECT_EQ(request->params, (Json{{"message", "Your name?"}}));
  const Json accepted{{"action", "accept"}, {"content", {{"name", "ada"}}}};
  bridge.forward(rpc::Response{request->id, accepted});
  call.join();

  const rpc::Message done_message = host.at(2);
  const auto* done = std::get_if<rpc::Response>(&done_message);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->id, 2);
  EXPECT_EQ(done->result["content"][0]["text"], "hi ada");
  EXPECT_EQ(host.count(), 3u) << "one request, one final answer";

  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(body_of(sent[2])["id"], 2);
  const Json retry = body_of(sent[3]);
  EXPECT_NE(retry["id"], 2) << "a retry is a new request";
  EXPECT_EQ(retry["method"], "tools/call");
  EXPECT_EQ(retry["params"]["name"], "greet");
  EXPECT_EQ(retry["params"]["inputResponses"], (Json{{"who", accepted}}));
  EXPECT_EQ(retry["params"]["requestState"], "asked-name");
  EXPECT_EQ(retry["params"]["_meta"][kVersionKey], "2026-07-28");
  EXPECT_EQ(sent[3].headers.get("Mcp-Name"), "greet");
}

TEST_F(Translated, TheClientsRefusalFailsItsCall) {
  http->then(answer(elicitation_asked()));

  std::thread call([&] { bridge.forward(rpc::Request{2, "tools/call", Json{{"name", "greet"}}}); });
  const rpc::Message asked = host.at(1);
  bridge.forward(rpc::ErrorResponse{rpc::id_of(asked), -32601, "no elicitation here", Json{{"k", 1}}});
  call.join();

  const rpc::Message failed_message = host.at(2);
  const auto* failed = std::get_if<rpc::ErrorResponse>(&failed_message);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->id, 2);
  EXPECT_EQ(failed->code, -32601);
  EXPECT_EQ(failed->data, (Json{{"k", 1}}));
  EXPECT_EQ(http->requests().size(), 3u) << "no retry without the input";
}

TEST_F(Translated, TheClientsCancellationEndsTheWaitForItsInputAndCancelsTheInputRequest) {
  http->then(answer(elicitation_asked()));

  std::thread call([&] { bridge.forward(rpc::Request{2, "tools/call", Json{{"name", "greet"}}}); });
  const rpc::Message asked = host.at(1);
  ASSERT_TRUE(std::holds_alternative<rpc::Request>(asked));
  bridge.forward(rpc::Notification{"notifications/cancelled", Json{{"requestId", 2}, {"reason", "the user gave up"}}});
  call.join();  // the wait for the client's input ended at once

  const rpc::Message told_message = host.at(2);
  const auto* told = std::get_if<rpc::Notification>(&told_message);
  ASSERT_NE(told, nullptr);
  EXPECT_EQ(told->method, "notifications/cancelled");
  EXPECT_EQ(told->params, (Json{{"requestId", rpc::id_of(asked)}, {"reason", "the user gave up"}}))
      << "the bridge's own input request is cancelled too";

  // A late answer to the cancelled input request goes nowhere.
  bridge.forward(rpc::Response{rpc::id_of(asked), Json{{"action", "accept"}, {"content", {{"name", "ada"}}}}});
  EXPECT_EQ(host.count(), 3u) << "a cancelled request is not answered";
  EXPECT_EQ(http->requests().size(), 3u) << "no retry, and nothing POSTed for the cancellation";

  // The bridge goes on.
  http->then(answer(Json{{"resultType", "complete"}, {"tools", Json::array()}}));
  bridge.forward(rpc::Request{"l", "tools/list", Json::object()});
  EXPECT_EQ(rpc::id_of(host.at(3)), "l");
}

TEST_F(Translated, ACancellationOfARequestAlreadyAnsweredChangesNothing) {
  http->then(answer(Json{{"resultType", "complete"}, {"tools", Json::array()}}));
  bridge.forward(rpc::Request{"l", "tools/list", Json::object()});
  ASSERT_EQ(rpc::id_of(host.at(1)), "l");
  bridge.forward(rpc::Notification{"notifications/cancelled", Json{{"requestId", "l"}}});
  EXPECT_EQ(host.count(), 2u);
  EXPECT_EQ(http->requests().size(), 3u) << "the modern era POSTs no notifications/cancelled";
}

TEST_F(Translated, AServerThatKeepsAskingIsStoppedAfterTheBoundedRounds) {
  for (int i = 0; i <= Session::kMaxInputRounds; ++i) {
    http->then(answer(Json{{"resultType", "input_required"}, {"requestState", "again"}}));
  }
  bridge.forward(rpc::Request{2, "tools/call", Json{{"name", "loop"}}});
  const rpc::Message failed_message = host.at(1);
  const auto* failed = std::get_if<rpc::ErrorResponse>(&failed_message);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->id, 2);
  EXPECT_EQ(failed->code, kBridgeErrorCode);
  EXPECT_EQ(http->requests().size(), 2u + 1u + Session::kMaxInputRounds);
}

// A modern server whose subscriptions/listen POST is answered with an
// event stream that stays open until the bridge closes it (the other POSTs
// are scripted).
class ListeningServer final : public net::HttpClient {
 public:
  explicit ListeningServer(std::shared_ptr<ScriptedHttpClient> scripted) : scripted_(std::move(scripted)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* token) override {
    return scripted_->send(request, token);
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* token) override {
    if (request.headers.get("Mcp-Method") != "subscriptions/listen") return scripted_->stream(request, handler, token);
    const Json listen = Json::parse(request.body);
    {
      std::lock_guard lock(mutex_);
      listens_.push_back(request);
    }
    net::HttpHeaders headers;
    headers.set("Content-Type", "text/event-stream");
    if (!handler.on_response_start(200, headers)) return;
    const Json subscription{{"io.modelcontextprotocol/subscriptionId", listen["id"]}};
    const Json ack{{"jsonrpc", "2.0"},
                   {"method", "notifications/subscriptions/acknowledged"},
                   {"params", {{"notifications", listen["params"]["notifications"]}, {"_meta", subscription}}}};
    const Json changed{
        {"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}, {"params", {{"_meta", subscription}}}};
    if (!handler.on_body("event: message\ndata: " + ack.dump() + "\n\nevent: message\ndata: " + changed.dump() +
                         "\n\n")) {
      return;
    }
    // Open until cancelled (the bridge's close).
    std::unique_lock lock(mutex_);
    if (!token || !token->set_waker([this] {
          std::lock_guard wake_lock(mutex_);
          woken_.notify_all();
        })) {
      return;
    }
    woken_.wait_for(lock, std::chrono::seconds(30), [&] { return token->cancelled(); });
    lock.unlock();
    token->clear_waker();
    throw Error(ErrorCode::cancelled, "cancelled");
  }

  std::vector<net::HttpRequest> listens() {
    std::lock_guard lock(mutex_);
    return listens_;
  }

 private:
  std::shared_ptr<ScriptedHttpClient> scripted_;
  std::mutex mutex_;
  std::condition_variable woken_;
  std::vector<net::HttpRequest> listens_;
};

TEST(BridgeEras, TheListenStreamsListChangedReachesTheClientAsAHandshakeNotification) {
  auto scripted = std::make_shared<ScriptedHttpClient>();
  scripted->then(refuse_handshake()).then(answer(discover_result(Json{{"tools", {{"listChanged", true}}}})));
  auto server = std::make_shared<ListeningServer>(scripted);
  Host host;
  Bridge bridge(options_for(server), host.sink());
  bridge.forward(host_initialize());
  const rpc::Message initialized = host.at(0);
  EXPECT_EQ(std::get<rpc::Response>(initialized).result["capabilities"]["tools"]["listChanged"], true)
      << "promised: the bridge carries them";
  bridge.forward(rpc::Notification{"notifications/initialized", nullptr});

  const rpc::Message changed_message = host.at(1);
  const auto* changed = std::get_if<rpc::Notification>(&changed_message);
  ASSERT_NE(changed, nullptr);
  EXPECT_EQ(changed->method, "notifications/tools/list_changed");
  EXPECT_TRUE(changed->params.is_null() || !changed->params.contains("_meta")) << changed->params.dump();

  const auto listens = server->listens();
  ASSERT_EQ(listens.size(), 1u);
  const Json listen = body_of(listens[0]);
  EXPECT_EQ(listen["method"], "subscriptions/listen");
  EXPECT_EQ(listen["params"]["notifications"], (Json{{"toolsListChanged", true}}));
  EXPECT_EQ(listen["params"]["_meta"][kVersionKey], "2026-07-28");
  EXPECT_EQ(listens[0].method, "POST");
  EXPECT_EQ(listens[0].headers.get("MCP-Protocol-Version"), "2026-07-28");
  EXPECT_NE(listens[0].headers.get("Accept").value_or("").find("text/event-stream"), std::string::npos);
  EXPECT_FALSE(listens[0].headers.contains("Last-Event-ID"));

  bridge.close();  // ends the stream (the server saw its POST cancelled)
  EXPECT_EQ(host.count(), 2u) << "the acknowledgement is the stream's own";
}

TEST(BridgeEras, AServerRememberedAsModernIsDiscoveredWithoutTheInitialize) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(discover_result()));
  Host host;
  BridgeOptions options = options_for(http);
  options.session.remembered = ProtocolMemory{"2026-07-28", "streamable-http"};
  Bridge bridge(options, host.sink());
  bridge.forward(host_initialize());
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(body_of(sent[0])["method"], "server/discover");
  ASSERT_EQ(host.count(), 1u);
  EXPECT_EQ(std::get<rpc::Response>(host.at(0)).result["protocolVersion"], "2025-06-18");
}

TEST(BridgeEras, WhenDiscoveryFailsTooTheClientGetsTheServersRefusal) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(refuse_handshake()).then(404);
  Host host;
  Bridge bridge(options_for(http), host.sink());
  bridge.forward(host_initialize());
  ASSERT_EQ(host.count(), 1u);
  const rpc::Message refused_message = host.at(0);
  const auto* refused = std::get_if<rpc::ErrorResponse>(&refused_message);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->id, 1);
  EXPECT_EQ(refused->code, kUnsupportedProtocolVersionError);
  EXPECT_EQ(http->requests().size(), 2u);
}

TEST(BridgeEras, AHandshakeServerIsPassedThroughAsBefore) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(Json{{"protocolVersion", "2025-06-18"},
                         {"capabilities", {{"tools", {{"listChanged", true}}}}},
                         {"serverInfo", {{"name", "old"}, {"version", "1"}}}},
                    {{"Mcp-Session-Id", "s-1"}}))
      .then(202)
      .then(405)
      .then(answer(Json{{"tools", Json::array()}}))
      .then(200);  // DELETE
  Host host;
  {
    Bridge bridge(options_for(http), host.sink());
    bridge.forward(host_initialize());
    bridge.forward(rpc::Notification{"notifications/initialized", nullptr});
    bridge.forward(rpc::Request{2, "tools/list", Json::object()});
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(body_of(sent[0])["method"], "initialize");
  EXPECT_EQ(body_of(sent[1])["method"], "notifications/initialized");
  EXPECT_FALSE(body_of(sent[3])["params"].contains("_meta"));
  EXPECT_EQ(std::get<rpc::Response>(host.at(0)).result["capabilities"]["tools"]["listChanged"], true);
}

}  // namespace
}  // namespace mcpauth::mcp

// The Bridge driven in-process over a scripted HTTP client: the client's
// initialize forwarded and the version learned from its answer, the fallback
// to legacy HTTP+SSE, retries that never send a call twice, and a new
// session when the server forgets the old one.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "delivered_messages.hpp"
#include "jsonrpc_answer.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

namespace rpc = core::jsonrpc;
using test_support::ScriptedHttpClient;

constexpr const char* kServer = "https://mcp.example/mcp";

Json body_of(const net::HttpRequest& request) {
  return Json::parse(request.body);
}

using test_support::answer;

// Fails the request the way a connection reset after sending does: it may
// have reached the server.
ScriptedHttpClient::Responder reset() {
  return [](const net::HttpRequest& request) -> net::HttpResponse {
    throw Error(ErrorCode::connection, request.method + " " + request.url + " failed: connection reset");
  };
}

Json initialize_result(const std::string& version) {
  return Json{{"protocolVersion", version},
              {"capabilities", {{"tools", Json::object()}}},
              {"serverInfo", {{"name", "scripted"}, {"version", "1"}}}};
}

rpc::Request client_initialize(const std::string& version = "2025-06-18") {
  return rpc::Request{1, "initialize",
                      Json{{"protocolVersion", version},
                           {"capabilities", Json::object()},
                           {"clientInfo", {{"name", "host"}, {"version", "9"}}}}};
}

using test_support::Delivered;

BridgeOptions options_for(std::shared_ptr<net::HttpClient> http, TransportKind transport) {
  BridgeOptions options;
  options.session.url = kServer;
  options.session.transport = transport;
  options.session.http = std::move(http);
  options.first_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(2);
  options.retry_budget = std::chrono::minutes(1);
  return options;
}

// initialize (session s-1), notifications/initialized, the GET stream (refused: none offered).
void script_handshake(ScriptedHttpClient& http, const std::string& version, const std::string& session) {
  http.then(answer(initialize_result(version), {{"Mcp-Session-Id", session}})).then(202).then(405);
}

void open_session(Bridge& bridge) {
  bridge.forward(client_initialize());
  bridge.forward(rpc::Notification{"notifications/initialized", nullptr});
}

TEST(BridgeScripted, TheClientsInitializeIsForwardedAndItsAnswerSetsTheVersion) {
  auto http = std::make_shared<ScriptedHttpClient>();
  script_handshake(*http, "2025-06-18", "s-1");
  // A later result that names some protocolVersion is not a negotiation.
  http->then(answer(Json{{"protocolVersion", "2024-11-05"}, {"content", Json::array()}}))
      .then(answer(Json{{"tools", Json::array()}}))
      .then(200);  // DELETE
  Delivered delivered;
  {
    Bridge bridge(options_for(http, TransportKind::automatic), delivered.sink());
    open_session(bridge);
    EXPECT_EQ(bridge.transport_name(), "streamable-http");
    bridge.forward(rpc::Request{2, "tools/call", Json{{"name", "echo"}}});
    bridge.forward(rpc::Request{3, "tools/list", Json::object()});
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 6u);
  // The client's initialize, unchanged.
  EXPECT_EQ(body_of(sent[0]), rpc::Json::parse(rpc::serialize(client_initialize())));
  EXPECT_FALSE(sent[0].headers.contains("MCP-Protocol-Version"));
  EXPECT_EQ(sent[2].method, "GET");
  for (std::size_t i = 2; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].headers.get("MCP-Protocol-Version"), "2025-06-18") << i;
    EXPECT_EQ(sent[i].headers.get("Mcp-Session-Id"), "s-1") << i;
  }
  EXPECT_EQ(sent[5].method, "DELETE");
  const auto messages = delivered.all();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(rpc::id_of(messages[0]), rpc::Id(1));
  EXPECT_EQ(std::get<rpc::Response>(messages[0]).result["protocolVersion"], "2025-06-18");
  EXPECT_EQ(rpc::id_of(messages[2]), rpc::Id(3));
}

TEST(BridgeScripted, WithoutAnInitializeExchangeNoVersionIsAssumed) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(Json{{"protocolVersion", "2025-06-18"}}))  // a ping whose result names a version
      .then(answer(Json::object()));
  Delivered delivered;
  Bridge bridge(options_for(http, TransportKind::streamable_http), delivered.sink());
  bridge.forward(rpc::Request{1, "ping", Json::object()});
  bridge.forward(rpc::Notification{"notifications/initialized", nullptr});  // opens no stream: no version
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_FALSE(sent[1].headers.contains("MCP-Protocol-Version"));
  EXPECT_EQ(http->unanswered(), 0u);
}

TEST(BridgeScripted, ACallThatMayHaveReachedTheServerIsNeverSentTwice) {
  auto http = std::make_shared<ScriptedHttpClient>();
  script_handshake(*http, "2025-06-18", "s-1");
  http->then(reset())                                  // tools/call: may have been carried out
      .then(reset())                                   // tools/list: changes nothing...
      .then(answer(Json{{"tools", Json::array()}}))    // ...so it went again
      .then(503)                                       // tools/call refused before being handled...
      .then(answer(Json{{"content", Json::array()}}))  // ...so it may go again
      .then(200);                                      // DELETE
  Delivered delivered;
  {
    Bridge bridge(options_for(http, TransportKind::streamable_http), delivered.sink());
    open_session(bridge);
    bridge.forward(rpc::Request{2, "tools/call", Json{{"name", "charge"}}});
    bridge.forward(rpc::Request{3, "tools/list", Json::object()});
    bridge.forward(rpc::Request{4, "tools/call", Json{{"name", "charge"}}});
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 9u);
  std::vector<Json> ids;
  for (std::size_t i = 3; i < 8; ++i) ids.push_back(body_of(sent[i])["id"]);
  EXPECT_EQ(ids, (std::vector<Json>{2, 3, 3, 4, 4})) << "the first call once, the list and the refused call twice";
  EXPECT_EQ(sent[8].method, "DELETE");
  const auto messages = delivered.all();
  ASSERT_EQ(messages.size(), 4u);
  const auto* refused = std::get_if<rpc::ErrorResponse>(&messages[1]);
  ASSERT_NE(refused, nullptr) << "the call is answered with an error instead";
  EXPECT_EQ(refused->id, rpc::Id(2));
  EXPECT_EQ(refused->code, kBridgeErrorCode);
  EXPECT_EQ(refused->data["mcpauth_error"], "connection");
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(messages[2]));
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(messages[3]));
  EXPECT_EQ(rpc::id_of(messages[3]), rpc::Id(4));
}

TEST(BridgeScripted, AForgottenSessionIsRenewedWithTheClientsInitializeAndTheMessageSentAgain) {
  auto http = std::make_shared<ScriptedHttpClient>();
  script_handshake(*http, "2025-06-18", "s-1");
  http->then(404)  // tools/list: the server forgot s-1
      .then(404)   // DELETE s-1
      .then(answer(initialize_result("2025-06-18"), {{"Mcp-Session-Id", "s-2"}}))
      .then(202)  // notifications/initialized
      .then(405)  // GET
      .then(answer(Json{{"tools", Json::array()}}))
      .then(200);  // DELETE s-2
  Delivered delivered;
  {
    Bridge bridge(options_for(http, TransportKind::automatic), delivered.sink());
    open_session(bridge);
    bridge.forward(rpc::Request{2, "tools/list", Json::object()});
    EXPECT_EQ(bridge.transport_name(), "streamable-http") << "a forgotten session is no fallback cue";
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 10u);
  EXPECT_EQ(sent[4].method, "DELETE");
  EXPECT_EQ(sent[4].headers.get("Mcp-Session-Id"), "s-1");
  const Json reinitialize = body_of(sent[5]);
  EXPECT_EQ(reinitialize["method"], "initialize");
  EXPECT_EQ(reinitialize["id"], "mcpauth-bridge-reinitialize");
  EXPECT_EQ(reinitialize["params"], client_initialize().params) << "the client's own initialize";
  EXPECT_FALSE(sent[5].headers.contains("Mcp-Session-Id"));
  EXPECT_EQ(body_of(sent[6])["method"], "notifications/initialized");
  EXPECT_EQ(sent[7].method, "GET");
  EXPECT_EQ(body_of(sent[8])["id"], 2);
  for (std::size_t i = 6; i < 10; ++i) EXPECT_EQ(sent[i].headers.get("Mcp-Session-Id"), "s-2") << i;
  const auto messages = delivered.all();
  ASSERT_EQ(messages.size(), 2u) << "the bridge's own initialize answer is not the client's";
  EXPECT_EQ(rpc::id_of(messages[1]), rpc::Id(2));
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(messages[1]));
}

TEST(BridgeScripted, TheFirstRefusalWithoutCredentialsIsNoFallback) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(401, {{"WWW-Authenticate", "Bearer"}}).then(answer(initialize_result("2025-06-18")));
  Delivered delivered;
  Bridge bridge(options_for(http, TransportKind::automatic), delivered.sink());
  bridge.forward(client_initialize());
  bridge.forward(client_initialize());
  const auto messages = delivered.all();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(std::get<rpc::ErrorResponse>(messages[0]).data["mcpauth_error"], "unauthorized");
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(messages[1]));
  EXPECT_EQ(bridge.transport_name(), "streamable-http");
  for (const auto& request : http->requests()) EXPECT_EQ(request.method, "POST");
}

// A legacy HTTP+SSE server in-process. GET opens a stream that names the
// message endpoint and then carries the answer to every request POSTed
// there, until the client cancels it; anything else goes to `scripted`.
class LegacySseServer final : public net::HttpClient {
 public:
  explicit LegacySseServer(std::shared_ptr<ScriptedHttpClient> scripted) : scripted_(std::move(scripted)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    if (request.method != "POST" || request.url != std::string(kServer) + "/messages") {
      return scripted_->send(request, cancel);
    }
    record(request);
    const Json body = body_of(request);
    if (body.contains("id") && body.contains("method")) {
      Json result = body["method"] == "initialize" ? initialize_result("2024-11-05") : Json{{"tools", Json::array()}};
      push("event: message\ndata: " + Json{{"jsonrpc", "2.0"}, {"id", body["id"]}, {"result", result}}.dump() + "\n\n");
    }
    return net::HttpResponse{202, {}, "", request.url};
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    if (request.method == "GET" && request.url == kServer) {
      record(request);
      serve_stream(handler, cancel);
    } else {
      scripted_->stream(request, handler, cancel);
    }
  }

  std::vector<net::HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void record(const net::HttpRequest& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }

  void push(std::string event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    wake_.notify_all();
  }

  void serve_stream(net::HttpStreamHandler& handler, net::CancelToken* cancel) {
    if (!handler.on_response_start(200, {{"Content-Type", "text/event-stream"}})) return;
    if (!handler.on_body("event: endpoint\ndata: /mcp/messages\n\n")) return;
    if (cancel && !cancel->set_waker([this] { push({}); })) return;
    for (;;) {
      std::string event;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return !events_.empty(); });
        event = std::move(events_.front());
        events_.pop_front();
      }
      if ((cancel && cancel->cancelled()) || !handler.on_body(event)) break;
    }
    if (cancel) cancel->clear_waker();
    throw Error(ErrorCode::cancelled, "the stream was cancelled");
  }

  std::shared_ptr<ScriptedHttpClient> scripted_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> events_;
  std::vector<net::HttpRequest> requests_;
};

TEST(BridgeScripted, AStreamableHttpRefusalOfTheFirstMessageFallsBackToLegacySse) {
  auto scripted = std::make_shared<ScriptedHttpClient>();
  scripted->then(404);  // the first POST: not a Streamable HTTP endpoint
  auto server = std::make_shared<LegacySseServer>(scripted);
  Delivered delivered;
  {
    Bridge bridge(options_for(server, TransportKind::automatic), delivered.sink());
    bridge.forward(client_initialize("2024-11-05"));
    EXPECT_EQ(bridge.transport_name(), "sse");
    ASSERT_TRUE(delivered.wait_for(1)) << "a client waits for the initialize answer before going on";
    bridge.forward(rpc::Notification{"notifications/initialized", nullptr});
    bridge.forward(rpc::Request{2, "tools/list", Json::object()});
    ASSERT_TRUE(delivered.wait_for(2)) << "both answers come on the event stream";
  }
  EXPECT_EQ(scripted->unanswered(), 0u);
  const auto sent = server->requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].method, "GET");
  EXPECT_EQ(body_of(sent[1]), rpc::Json::parse(rpc::serialize(client_initialize("2024-11-05"))))
      << "the client's initialize again, on the legacy transport";
  EXPECT_EQ(body_of(sent[2])["method"], "notifications/initialized");
  EXPECT_EQ(body_of(sent[3])["id"], 2);
  const auto messages = delivered.all();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(rpc::id_of(messages[0]), rpc::Id(1));
  EXPECT_EQ(std::get<rpc::Response>(messages[0]).result["protocolVersion"], "2024-11-05");
  EXPECT_EQ(rpc::id_of(messages[1]), rpc::Id(2));
  EXPECT_EQ(sent[3].headers.get("MCP-Protocol-Version"), "2024-11-05") << "learned from the initialize answer";
  for (const auto& m : messages) EXPECT_TRUE(std::holds_alternative<rpc::Response>(m));
}

}  // namespace
}  // namespace mcpauth::mcp

// StreamableHttpTransport given an event loop (a scripted async client the
// test plays): its POSTs still go through the blocking client, its GET
// stream goes to the loop, reconnects there with Last-Event-ID, takes 405
// as "no stream", and close() cancels it without a thread to join.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "jsonrpc_answer.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"
#include "scripted_async_http_client.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

using test_support::answer;
using test_support::ScriptedAsyncHttpClient;
using test_support::ScriptedHttpClient;

using Json = core::jsonrpc::Json;

constexpr const char* kServer = "https://mcp.example/mcp";

struct Harness {
  std::shared_ptr<ScriptedHttpClient> http = std::make_shared<ScriptedHttpClient>();
  std::shared_ptr<ScriptedAsyncHttpClient> loop = std::make_shared<ScriptedAsyncHttpClient>();
  std::mutex mutex;
  std::vector<core::jsonrpc::Message> messages;
  std::vector<Error> errors;
  std::unique_ptr<StreamableHttpTransport> transport;

  Harness() {
    TransportOptions o;
    o.url = kServer;
    o.http = http;
    o.async_http = loop;
    // on_initialized waits this long for the GET's first answer, which this
    // test gives only afterwards; nothing here depends on how long it was.
    o.connect_timeout = std::chrono::milliseconds(1);
    transport = std::make_unique<StreamableHttpTransport>(o);
    transport->start(
        [this](core::jsonrpc::Message&& m) {
          std::lock_guard lock(mutex);
          messages.push_back(std::move(m));
        },
        [this](const Error& e) {
          std::lock_guard lock(mutex);
          errors.push_back(e);
        });
  }

  void initialize() {
    http->then(answer(Json{{"protocolVersion", "2025-06-18"},
                           {"capabilities", Json::object()},
                           {"serverInfo", {{"name", "s"}, {"version", "1"}}}},
                      {{"Mcp-Session-Id", "s-1"}}));
    transport->send(core::jsonrpc::Request{1, "initialize", Json::object()});
    transport->on_initialized("2025-06-18");
  }
};

TEST(StreamableTransportOnLoop, TheGetStreamRunsOnTheLoopAndReconnectsWithLastEventId) {
  Harness h;
  h.initialize();
  auto get = h.loop->next_transfer();
  EXPECT_EQ(get.request.method, "GET");
  EXPECT_EQ(get.request.headers.get("Mcp-Session-Id"), "s-1");
  EXPECT_EQ(get.request.headers.get("MCP-Protocol-Version"), "2025-06-18");
  get.answer(200, {{"Content-Type", "text/event-stream"}},
             "id: 7\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n");
  {
    std::lock_guard lock(h.mutex);
    ASSERT_EQ(h.messages.size(), 2u);  // the initialize answer (on its POST), then the stream's notification
    const auto* n = std::get_if<core::jsonrpc::Notification>(&h.messages[1]);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->method, "notifications/tools/list_changed");
  }
  h.loop->next_timer().task();
  auto again = h.loop->next_transfer();
  EXPECT_EQ(again.request.headers.get("Last-Event-ID"), "7");
  EXPECT_EQ(again.request.headers.get("Mcp-Session-Id"), "s-1");

  h.http->then(200);  // DELETE
  h.transport->close();
  EXPECT_TRUE(again.op->cancelled.load());
  const auto sent = h.http->requests();
  ASSERT_EQ(sent.size(), 2u);  // initialize, DELETE: the GETs never touched the blocking client
  EXPECT_EQ(sent[1].method, "DELETE");
  // The loop reporting the cancelled transfer afterwards reaches nobody.
  again.fail(Error(ErrorCode::cancelled, "cancelled"));
  std::lock_guard lock(h.mutex);
  EXPECT_TRUE(h.errors.empty());
}

TEST(StreamableTransportOnLoop, A405MeansNoStreamAndNoError) {
  Harness h;
  h.initialize();
  h.loop->next_transfer().answer(405);
  EXPECT_EQ(h.loop->pending_timers(), 0u);
  h.http->then(200);  // DELETE
  h.transport->close();
  std::lock_guard lock(h.mutex);
  EXPECT_TRUE(h.errors.empty());
}

TEST(StreamableTransportOnLoop, AForgottenSessionOnTheStreamIsReported) {
  Harness h;
  h.initialize();
  h.loop->next_transfer().answer(404);
  {
    std::lock_guard lock(h.mutex);
    ASSERT_EQ(h.errors.size(), 1u);
    EXPECT_EQ(h.errors[0].code(), ErrorCode::session_expired);
  }
  h.http->then(200);
  h.transport->close();
}

}  // namespace
}  // namespace mcpauth::mcp

// Bridge::forward_async over a scripted event loop: a request of an open
// Streamable HTTP session is one transfer on the loop whose answer is
// delivered from it; retries wait on the loop's timer; what needs the
// blocking path (the first message, a forgotten session) comes back as
// use_forward; close() answers what is still waiting.
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "jsonrpc_answer.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "scripted_async_http_client.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

namespace rpc = core::jsonrpc;
using test_support::answer;
using test_support::ScriptedAsyncHttpClient;
using test_support::ScriptedHttpClient;
using Forwarded = Bridge::Forwarded;

constexpr const char* kServer = "https://mcp.example/mcp";

rpc::Request client_initialize() {
  return rpc::Request{1, "initialize",
                      Json{{"protocolVersion", "2025-06-18"},
                           {"capabilities", Json::object()},
                           {"clientInfo", {{"name", "host"}, {"version", "9"}}}}};
}

const rpc::Request kCall{2, "tools/call", Json{{"name", "echo"}}};

struct Recorder {
  std::mutex mutex;
  std::vector<rpc::Message> delivered;
  std::vector<Forwarded> outcomes;

  Bridge::Deliver sink() {
    return [this](rpc::Message&& m) {
      std::lock_guard lock(mutex);
      delivered.push_back(std::move(m));
    };
  }
  Bridge::AsyncDone done() {
    return [this](Forwarded outcome) {
      std::lock_guard lock(mutex);
      outcomes.push_back(outcome);
    };
  }
};

// A bridge whose session is open (initialize forwarded over the blocking
// client, session s-1), with its POSTs on the scripted loop. `between`
// scripts the blocking client's answers after the initialize's.
struct Fixture {
  std::shared_ptr<ScriptedHttpClient> http = std::make_shared<ScriptedHttpClient>();
  std::shared_ptr<ScriptedAsyncHttpClient> loop = std::make_shared<ScriptedAsyncHttpClient>();
  Recorder recorder;
  std::unique_ptr<Bridge> bridge;

  explicit Fixture(const std::function<void(ScriptedHttpClient&)>& between = nullptr) {
    http->then(
        answer(Json{{"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}}, {{"Mcp-Session-Id", "s-1"}}));
    if (between) between(*http);
    http->then(200);  // the DELETE of close()
    BridgeOptions options;
    options.session.url = kServer;
    options.session.transport = TransportKind::streamable_http;
    options.session.http = http;
    options.session.event_loop = loop;
    options.first_backoff = std::chrono::milliseconds(200);
    options.max_backoff = std::chrono::milliseconds(400);
    options.retry_budget = std::chrono::minutes(1);
    bridge = std::make_unique<Bridge>(std::move(options), recorder.sink());
    bridge->forward(client_initialize());
  }
};

const net::HttpHeaders kJson{{"Content-Type", "application/json"}};

std::string result_of(int id, const std::string& text) {
  return rpc::serialize(rpc::Response{id, Json{{"content", {{{"type", "text"}, {"text", text}}}}}});
}

TEST(BridgeAsync, ARequestOfAnOpenSessionIsATransferOnTheLoopAnsweredFromIt) {
  Fixture f;
  f.bridge->forward_async(kCall, f.recorder.done());
  EXPECT_TRUE(f.recorder.outcomes.empty());  // nothing waited for it
  auto transfer = f.loop->next_transfer();
  EXPECT_EQ(transfer.request.method, "POST");
  EXPECT_EQ(transfer.request.headers.get("Mcp-Session-Id"), "s-1");
  EXPECT_EQ(Json::parse(transfer.request.body)["method"], "tools/call");
  transfer.answer(200, kJson, result_of(2, "hi"));
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::done});
  ASSERT_EQ(f.recorder.delivered.size(), 2u);  // the initialize answer, then this one
  EXPECT_EQ(rpc::id_of(f.recorder.delivered[1]), rpc::Id(2));
  EXPECT_EQ(f.http->requests().size(), 1u);  // only the initialize went the blocking way
}

TEST(BridgeAsync, AnSseFramedAnswerIsDeliveredWithWhatCameBeforeIt) {
  Fixture f;
  f.bridge->forward_async(kCall, f.recorder.done());
  const std::string notification =
      rpc::serialize(rpc::Notification{"notifications/message", Json{{"level", "info"}, {"data", "step"}}});
  f.loop->next_transfer().answer(
      200, {{"Content-Type", "text/event-stream"}},
      "event: message\ndata: " + notification + "\n\nevent: message\ndata: " + result_of(2, "hi") + "\n\n");
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::done});
  ASSERT_EQ(f.recorder.delivered.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<rpc::Notification>(f.recorder.delivered[1]));
  EXPECT_EQ(rpc::id_of(f.recorder.delivered[2]), rpc::Id(2));
}

TEST(BridgeAsync, APostStreamCutBeforeItsAnswerIsResumedOffTheLoop) {
  Fixture f([](ScriptedHttpClient& http) {
    http.then(200, {{"Content-Type", "text/event-stream"}},
              "id: e2\nevent: message\ndata: " + result_of(2, "resumed") + "\n\n");
  });
  f.bridge->forward_async(kCall, f.recorder.done());
  f.loop->next_transfer().answer(200, {{"Content-Type", "text/event-stream"}}, "id: e1\nretry: 1\ndata:\n\n");
  EXPECT_EQ(f.loop->blocking_runs.load(), 1);  // the resumption GET blocks: on the pool
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::done});
  ASSERT_EQ(f.recorder.delivered.size(), 2u);
  EXPECT_EQ(rpc::id_of(f.recorder.delivered[1]), rpc::Id(2));
  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].method, "GET");
  EXPECT_EQ(sent[1].headers.get("Last-Event-ID"), "e1");
}

TEST(BridgeAsync, TheFirstMessageAndInitializeTakeTheBlockingPath) {
  auto http = std::make_shared<ScriptedHttpClient>();
  auto loop = std::make_shared<ScriptedAsyncHttpClient>();
  Recorder recorder;
  BridgeOptions options;
  options.session.url = kServer;
  options.session.transport = TransportKind::streamable_http;
  options.session.http = http;
  options.session.event_loop = loop;
  Bridge bridge(std::move(options), recorder.sink());
  bridge.forward_async(client_initialize(), recorder.done());
  bridge.forward_async(kCall, recorder.done());
  EXPECT_EQ(recorder.outcomes, (std::vector<Forwarded>{Forwarded::use_forward, Forwarded::use_forward}));
  EXPECT_EQ(loop->pending_transfers(), 0u);
  EXPECT_TRUE(recorder.delivered.empty());
  EXPECT_TRUE(http->requests().empty());
}

TEST(BridgeAsync, ANeverSentFailureIsRetriedOnTheLoopsTimer) {
  Fixture f;
  f.bridge->forward_async(kCall, f.recorder.done());
  Error refused(ErrorCode::connection, "connection refused");
  refused.mark_never_sent();
  f.loop->next_transfer().fail(refused);
  EXPECT_TRUE(f.recorder.outcomes.empty());
  EXPECT_EQ(f.loop->pending_transfers(), 0u);  // nothing until the timer fires
  auto timer = f.loop->next_timer();
  EXPECT_EQ(timer.delay, std::chrono::milliseconds(200));
  timer.task();  // the retry starts from the blocking pool (credentials may block)
  EXPECT_GE(f.loop->blocking_runs.load(), 1);
  f.loop->next_transfer().answer(200, kJson, result_of(2, "again"));
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::done});
  ASSERT_EQ(f.recorder.delivered.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(f.recorder.delivered[1]));
}

TEST(BridgeAsync, ACallThatMayHaveReachedTheServerIsAnsweredWithAnErrorNotSentAgain) {
  Fixture f;
  f.bridge->forward_async(kCall, f.recorder.done());
  f.loop->next_transfer().fail(Error(ErrorCode::connection, "connection reset"));
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::done});
  EXPECT_EQ(f.loop->pending_timers(), 0u);
  EXPECT_EQ(f.loop->pending_transfers(), 0u);
  ASSERT_EQ(f.recorder.delivered.size(), 2u);
  const auto* error = std::get_if<rpc::ErrorResponse>(&f.recorder.delivered[1]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->id, rpc::Id(2));
  EXPECT_EQ(error->code, kBridgeErrorCode);
  EXPECT_EQ(error->data["mcpauth_error"], "connection");
}

TEST(BridgeAsync, ASessionTheServerForgotGoesBackToTheBlockingPathToBeRenewed) {
  Fixture f;
  f.bridge->forward_async(kCall, f.recorder.done());
  f.loop->next_transfer().answer(404, kJson, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"gone"}})");
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::use_forward});
  EXPECT_EQ(f.recorder.delivered.size(), 1u);  // nothing answered: forward() sends it again
  // Until the session is renewed, the next message takes the blocking path at once.
  f.bridge->forward_async(rpc::Request{3, "ping", Json::object()}, f.recorder.done());
  EXPECT_EQ(f.recorder.outcomes.back(), Forwarded::use_forward);
  EXPECT_EQ(f.loop->pending_transfers(), 0u);
}

TEST(BridgeAsync, CloseAnswersAForwardWaitingForItsRetry) {
  Fixture f;
  f.bridge->forward_async(kCall, f.recorder.done());
  Error refused(ErrorCode::connection, "connection refused");
  refused.mark_never_sent();
  f.loop->next_transfer().fail(refused);
  auto timer = f.loop->next_timer();
  f.bridge->close();
  EXPECT_TRUE(timer.op->cancelled.load());
  ASSERT_EQ(f.recorder.outcomes, std::vector<Forwarded>{Forwarded::done});
  ASSERT_EQ(f.recorder.delivered.size(), 2u);
  const auto* error = std::get_if<rpc::ErrorResponse>(&f.recorder.delivered[1]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->data["mcpauth_error"], "cancelled");
  timer.task();  // too late: nothing more happens
  EXPECT_EQ(f.recorder.outcomes.size(), 1u);
  EXPECT_EQ(f.loop->pending_transfers(), 0u);
}

}  // namespace
}  // namespace mcpauth::mcp

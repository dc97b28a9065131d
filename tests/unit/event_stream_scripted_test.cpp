// The server's event stream as a state machine over a scripted async
// client (the test plays the loop): reconnection with Last-Event-ID and the
// server's retry, the statuses that mean "no stream", the failures that end
// it, and close() cancelling what is pending with no hook after it.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "../../src/mcp/event_stream.hpp"
#include "scripted_async_http_client.hpp"

namespace mcpauth {
namespace {

using test_support::ScriptedAsyncHttpClient;

const net::HttpHeaders kEventStream{{"Content-Type", "text/event-stream"}};

std::string event(const std::string& id, int rpc_id) {
  return "id: " + id + "\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"n\":" +
         std::to_string(rpc_id) + "}}\n\n";
}

struct Harness {
  std::shared_ptr<ScriptedAsyncHttpClient> client = std::make_shared<ScriptedAsyncHttpClient>();
  std::vector<core::jsonrpc::Message> messages;
  std::vector<Error> errors;
  int answered = 0;
  bool with_session = true;
  std::shared_ptr<mcp::detail::EventStream> stream;

  // `listen`: the stream of a modern subscriptions/listen POST (its own Accept, never resumed).
  explicit Harness(int max_reconnects = 3, bool listen = false) {
    mcp::detail::EventStream::Options o;
    o.url = "https://mcp.example/mcp";
    o.max_reconnects = max_reconnects;
    o.resume = !listen;
    o.default_retry = std::chrono::milliseconds(1000);
    mcp::detail::EventStream::Hooks hooks;
    hooks.make_request = [this, listen] {
      net::HttpRequest r;
      r.url = "https://mcp.example/mcp";
      if (with_session) r.headers.add("Mcp-Session-Id", "s-1");
      if (listen) {
        r.method = "POST";
        r.headers.set("Accept", "application/json, text/event-stream");
        r.body = R"({"jsonrpc":"2.0","id":"l","method":"subscriptions/listen","params":{}})";
      }
      return r;
    };
    hooks.on_message = [this](core::jsonrpc::Message&& m) { messages.push_back(std::move(m)); };
    hooks.on_answered = [this] { ++answered; };
    hooks.on_error = [this](const Error& e) { errors.push_back(e); };
    stream = mcp::detail::EventStream::create(client, o, hooks);
  }
};

TEST(EventStreamScripted, ReconnectsAfterTheStreamEndsWithLastEventIdAndTheServersRetry) {
  Harness h;
  h.stream->open();
  auto first = h.client->next_transfer();
  EXPECT_EQ(first.request.method, "GET");
  EXPECT_EQ(first.request.headers.get("Accept"), "text/event-stream");
  EXPECT_FALSE(first.request.headers.contains("Last-Event-ID"));
  EXPECT_EQ(first.request.total_timeout.count(), 0);  // lives as long as the session
  first.answer(200, kEventStream, "retry: 250\n\n" + event("e-1", 1) + event("e-2", 2));
  EXPECT_EQ(h.messages.size(), 2u);
  EXPECT_EQ(h.answered, 1);

  // The stream ended: a timer at the server's retry, then the next GET
  // (started from the blocking pool, where credentials may be applied).
  auto timer = h.client->next_timer();
  EXPECT_EQ(timer.delay, std::chrono::milliseconds(250));
  EXPECT_EQ(h.client->pending_transfers(), 0u);
  timer.task();
  EXPECT_EQ(h.client->blocking_runs.load(), 1);
  auto second = h.client->next_transfer();
  EXPECT_EQ(second.request.headers.get("Last-Event-ID"), "e-2");
  second.answer(200, kEventStream, event("e-3", 3));
  EXPECT_EQ(h.messages.size(), 3u);
  EXPECT_EQ(h.stream->last_event_id(), "e-3");
  EXPECT_EQ(h.answered, 1);  // once
  EXPECT_TRUE(h.errors.empty());
  h.stream->close();
}

TEST(EventStreamScripted, AListenPostIsSentAgainAsItWasWithoutLastEventId) {
  Harness h(3, /*listen=*/true);
  h.with_session = false;
  h.stream->open();
  auto first = h.client->next_transfer();
  EXPECT_EQ(first.request.method, "POST");
  EXPECT_EQ(first.request.headers.get("Accept"), "application/json, text/event-stream") << "its own Accept is kept";
  EXPECT_EQ(first.request.total_timeout.count(), 0) << "no request timeout: it lives as long as the session";
  first.answer(200, kEventStream, event("e-1", 1));
  EXPECT_EQ(h.messages.size(), 1u);

  // It dropped: after the backoff the same POST goes again, a new subscription.
  h.client->next_timer().task();
  auto second = h.client->next_transfer();
  EXPECT_EQ(second.request.method, "POST");
  EXPECT_EQ(second.request.body, first.request.body);
  EXPECT_FALSE(second.request.headers.contains("Last-Event-ID"));
  h.stream->close();
}

TEST(EventStreamScripted, StatusesThatMeanNoStreamEndItQuietly) {
  struct Case {
    int status;
    bool with_session;
  };
  for (const Case c : {Case{405, true}, Case{400, true}, Case{404, false}}) {
    SCOPED_TRACE(c.status);
    Harness h;
    h.with_session = c.with_session;
    h.stream->open();
    h.client->next_transfer().answer(c.status);
    EXPECT_EQ(h.answered, 1);
    EXPECT_TRUE(h.errors.empty());
    EXPECT_EQ(h.client->pending_timers(), 0u);  // not re-opened
    EXPECT_EQ(h.client->pending_transfers(), 0u);
  }
}

TEST(EventStreamScripted, ForgottenSessionIsReportedOnceAndNotRetried) {
  Harness h;
  h.stream->open();
  h.client->next_transfer().answer(404);
  ASSERT_EQ(h.errors.size(), 1u);
  EXPECT_EQ(h.errors[0].code(), ErrorCode::session_expired);
  EXPECT_EQ(h.client->pending_timers(), 0u);
}

TEST(EventStreamScripted, DropsBackOffAndAfterTheLastReconnectTheErrorIsReported) {
  Harness h(/*max_reconnects=*/2);
  h.stream->open();
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 2; ++i) {
    h.client->next_transfer().fail(Error(ErrorCode::connection, "reset"));
    auto timer = h.client->next_timer();
    delays.push_back(timer.delay);
    timer.task();
  }
  EXPECT_EQ(delays,
            (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)}));
  h.client->next_transfer().fail(Error(ErrorCode::connection, "reset"));
  ASSERT_EQ(h.errors.size(), 1u);
  EXPECT_EQ(h.errors[0].code(), ErrorCode::connection);
  EXPECT_NE(std::string(h.errors[0].what()).find("reset"), std::string::npos);
  EXPECT_EQ(h.client->pending_timers(), 0u);
}

TEST(EventStreamScripted, EventsResetTheFailureCount) {
  Harness h(/*max_reconnects=*/1);
  h.stream->open();
  for (int i = 0; i < 4; ++i) {
    h.client->next_transfer().answer(200, kEventStream, event("e-" + std::to_string(i), i));
    h.client->next_timer().task();
  }
  EXPECT_TRUE(h.errors.empty());
  EXPECT_EQ(h.messages.size(), 4u);
  h.stream->close();
}

TEST(EventStreamScripted, CloseCancelsTheTransferAndNoHookRunsAfterIt) {
  Harness h;
  h.stream->open();
  auto transfer = h.client->next_transfer();
  ASSERT_TRUE(transfer.handler->on_response_start(200, kEventStream));
  transfer.handler->on_body(event("e-1", 1));
  EXPECT_EQ(h.messages.size(), 1u);
  h.stream->close();
  EXPECT_TRUE(transfer.op->cancelled.load());
  // What the loop still reports after close() reaches nobody.
  transfer.handler->on_body(event("e-2", 2));
  transfer.fail(Error(ErrorCode::cancelled, "cancelled"));
  EXPECT_EQ(h.messages.size(), 1u);
  EXPECT_TRUE(h.errors.empty());
  EXPECT_EQ(h.client->pending_timers(), 0u);
}

TEST(EventStreamScripted, CloseCancelsTheBackoffTimer) {
  Harness h;
  h.stream->open();
  h.client->next_transfer().answer(200, kEventStream, event("e-1", 1));
  auto timer = h.client->next_timer();
  h.stream->close();
  EXPECT_TRUE(timer.op->cancelled.load());
  timer.task();  // a timer that fires anyway starts nothing
  EXPECT_EQ(h.client->pending_transfers(), 0u);
}

}  // namespace
}  // namespace mcpauth

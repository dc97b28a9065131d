// Reading one JSON-RPC-carrying HTTP response (internal mcp::detail::ResponseReader).
#include "../../src/mcp/response_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "error_of.hpp"
#include "mcpauth/error.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
using mcpauth::mcp::detail::BodyKind;
using mcpauth::mcp::detail::media_type;
using mcpauth::mcp::detail::ResponseReader;
using mcpauth::net::HttpHeaders;
namespace rpc = mcpauth::core::jsonrpc;

constexpr const char* kUrl = "https://example.com/mcp";

struct Collector {
  std::vector<rpc::Message> messages;
  std::vector<mcpauth::core::SseEvent> other_events;

  ResponseReader make(std::size_t max_bytes = 1u << 20) {
    return ResponseReader(
        kUrl, max_bytes, [this](rpc::Message&& m) { messages.push_back(std::move(m)); },
        [this](mcpauth::core::SseEvent&& e) { other_events.push_back(std::move(e)); });
  }
};

HttpHeaders content_type(std::string value) {
  return HttpHeaders{{"Content-Type", std::move(value)}};
}

// Feeds `body` in chunks of `chunk` bytes; returns whether the reader wanted more.
bool feed_in_chunks(ResponseReader& reader, std::string_view body, std::size_t chunk) {
  for (std::size_t pos = 0; pos < body.size(); pos += chunk) {
    if (!reader.on_body(body.substr(pos, chunk))) return false;
  }
  return true;
}

TEST(ResponseReader, JsonBodyInChunksIsDeliveredAtFinish) {
  Collector c;
  auto reader = c.make();
  ASSERT_TRUE(reader.on_response_start(200, content_type("application/json; charset=utf-8")));
  EXPECT_EQ(reader.body_kind(), BodyKind::json);
  const std::string body = R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})";
  EXPECT_TRUE(feed_in_chunks(reader, body, 5));
  EXPECT_TRUE(c.messages.empty()) << "nothing is delivered before finish()";
  reader.finish();
  ASSERT_EQ(c.messages.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<rpc::Response>(c.messages[0]));
  EXPECT_EQ(rpc::id_of(c.messages[0]), rpc::Id(1));
}

TEST(ResponseReader, JsonBatchDeliversEveryMessage) {
  Collector c;
  auto reader = c.make();
  reader.stop_after_response(2);
  reader.on_response_start(200, content_type("application/json"));
  reader.on_body(R"([{"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","id":2,"result":{}}])");
  reader.finish();
  EXPECT_EQ(c.messages.size(), 2u);
  EXPECT_TRUE(reader.answered());
}

TEST(ResponseReader, EmptyJsonBodyIsAProtocolError) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("application/json"));
  EXPECT_EQ(mcpauth::testing::error_code_of([&] { reader.finish(); }), ErrorCode::protocol);
}

TEST(ResponseReader, MalformedJsonBodyIsAProtocolErrorNamingTheUrl) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("application/json"));
  reader.on_body("{not json");
  const Error e = mcpauth::testing::error_of([&] { reader.finish(); });
  EXPECT_EQ(e.code(), ErrorCode::protocol);
  EXPECT_EQ(e.url(), kUrl);
  EXPECT_NE(std::string(e.what()).find(kUrl), std::string::npos);
}

TEST(ResponseReader, SsePrimingEventThenResponse) {
  Collector c;
  auto reader = c.make();
  reader.stop_after_response(7);
  ASSERT_TRUE(reader.on_response_start(200, content_type("text/event-stream")));
  EXPECT_EQ(reader.body_kind(), BodyKind::event_stream);

  EXPECT_TRUE(reader.on_body("id: evt-1\ndata:\n\n"));
  EXPECT_TRUE(c.messages.empty()) << "a priming event carries no message";
  EXPECT_EQ(reader.last_event_id(), "evt-1");
  EXPECT_FALSE(reader.answered());

  EXPECT_TRUE(reader.on_body("id: evt-2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n"));
  EXPECT_FALSE(reader.answered()) << "a notification is not the awaited response";

  const bool more = reader.on_body("id: evt-3\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n");
  EXPECT_FALSE(more) << "reading stops once the awaited response arrived";
  EXPECT_TRUE(reader.answered());
  EXPECT_EQ(reader.last_event_id(), "evt-3");
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(c.messages[1]));
  EXPECT_EQ(reader.events_seen(), 3u);
  EXPECT_FALSE(reader.cut_mid_event());
}

TEST(ResponseReader, SseResponseWithOtherIdDoesNotAnswer) {
  Collector c;
  auto reader = c.make();
  reader.stop_after_response(7);
  reader.on_response_start(200, content_type("text/event-stream"));
  EXPECT_TRUE(reader.on_body("data: {\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":{}}\n\n"));
  EXPECT_FALSE(reader.answered()) << "string \"7\" is not integer 7";
  EXPECT_EQ(c.messages.size(), 1u);
}

TEST(ResponseReader, SseWithoutAwaitedIdKeepsReading) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("text/event-stream"));
  EXPECT_TRUE(reader.on_body("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"));
  EXPECT_EQ(c.messages.size(), 1u);
}

TEST(ResponseReader, SseResponseSplitAcrossChunks) {
  Collector c;
  auto reader = c.make();
  reader.stop_after_response("abc");
  reader.on_response_start(200, content_type("Text/Event-Stream; charset=utf-8"));
  const std::string body = "retry: 3000\r\nid: 1\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":{}}\r\n\r\n";
  EXPECT_FALSE(feed_in_chunks(reader, body, 3));
  EXPECT_TRUE(reader.answered());
  EXPECT_EQ(reader.retry(), std::chrono::milliseconds(3000));
  EXPECT_EQ(c.messages.size(), 1u);
}

TEST(ResponseReader, SseNonMessageEventsGoToTheOtherCallback) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("text/event-stream"));
  reader.on_body("event: endpoint\ndata: /messages?sessionId=1\n\n");
  EXPECT_TRUE(c.messages.empty());
  ASSERT_EQ(c.other_events.size(), 1u);
  EXPECT_EQ(c.other_events[0].type, "endpoint");
  EXPECT_EQ(c.other_events[0].data, "/messages?sessionId=1");
}

TEST(ResponseReader, SseCutMidEventIsReported) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("text/event-stream"));
  reader.on_body("data: {\"jsonrpc\":");
  EXPECT_TRUE(reader.cut_mid_event());
  EXPECT_TRUE(c.messages.empty());
}

TEST(ResponseReader, SseEventWithInvalidJsonIsAProtocolError) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("text/event-stream"));
  EXPECT_EQ(mcpauth::testing::error_code_of([&] { reader.on_body("data: not json\n\n"); }), ErrorCode::protocol);
}

TEST(ResponseReader, JsonBodyOverMaxBytesIsResponseTooLarge) {
  Collector c;
  auto reader = c.make(64);
  reader.on_response_start(200, content_type("application/json"));
  const std::string body = R"({"jsonrpc":"2.0","id":1,"result":")" + std::string(100, 'x') + "\"}";
  EXPECT_EQ(mcpauth::testing::error_code_of([&] {
              feed_in_chunks(reader, body, 16);
              reader.finish();
            }),
            ErrorCode::response_too_large);
  EXPECT_TRUE(c.messages.empty());
}

TEST(ResponseReader, SseEventOverMaxBytesIsResponseTooLarge) {
  Collector c;
  auto reader = c.make(64);
  reader.on_response_start(200, content_type("text/event-stream"));
  EXPECT_EQ(mcpauth::testing::error_code_of([&] {
              for (int i = 0; i < 20; ++i) reader.on_body("data: 0123456789\n");
            }),
            ErrorCode::response_too_large);
}

TEST(ResponseReader, TextHtmlIsOther) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, content_type("text/html; charset=utf-8"));
  EXPECT_EQ(reader.body_kind(), BodyKind::other);
  reader.on_body("<html>hi</html>");
  reader.finish();
  EXPECT_TRUE(c.messages.empty());
  EXPECT_EQ(reader.error_body(), "<html>hi</html>");
  EXPECT_EQ(reader.content_type(), "text/html; charset=utf-8");
}

TEST(ResponseReader, NoContentTypeIsNone) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(202, HttpHeaders{});
  EXPECT_EQ(reader.body_kind(), BodyKind::none);
  EXPECT_TRUE(reader.ok());
  reader.finish();
  EXPECT_TRUE(c.messages.empty());
}

TEST(ResponseReader, NonSuccessStatusIsOtherEvenWithJsonContentType) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(400, content_type("application/json"));
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.status(), 400);
  EXPECT_EQ(reader.body_kind(), BodyKind::other);
  reader.on_body(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad"}})");
  reader.finish();
  EXPECT_TRUE(c.messages.empty()) << "error bodies are not delivered as messages";
  EXPECT_EQ(reader.error_body(), R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad"}})");
}

TEST(ResponseReader, NonSuccessBodyKeepsOnlyTheFirst16KiB) {
  Collector c;
  auto reader = c.make(1u << 20);
  reader.on_response_start(500, content_type("text/plain"));
  std::string body;
  for (int i = 0; i < 40 * 1024; ++i) body.push_back(static_cast<char>('a' + i % 26));
  bool wanted_more = true;
  std::size_t pos = 0;
  while (pos < body.size() && wanted_more) {
    wanted_more = reader.on_body(std::string_view(body).substr(pos, 1000));
    pos += 1000;
  }
  EXPECT_FALSE(wanted_more) << "the reader stops once it has enough";
  EXPECT_EQ(reader.error_body().size(), 16u * 1024);
  EXPECT_EQ(reader.error_body(), body.substr(0, 16 * 1024));
  // Fed again anyway (a client that ignores the return value): still capped.
  reader.on_body(body);
  EXPECT_EQ(reader.error_body().size(), 16u * 1024);
}

TEST(ResponseReader, HeadersAreKeptAndCaseInsensitive) {
  Collector c;
  auto reader = c.make();
  reader.on_response_start(200, HttpHeaders{{"content-type", "application/json"}, {"Mcp-Session-Id", "s1"}});
  EXPECT_EQ(reader.body_kind(), BodyKind::json);
  EXPECT_EQ(reader.headers().get("mcp-session-id"), "s1");
}

TEST(MediaType, LowerCaseWithoutParameters) {
  EXPECT_EQ(media_type("Application/JSON; charset=UTF-8"), "application/json");
  EXPECT_EQ(media_type(" text/event-stream "), "text/event-stream");
  EXPECT_EQ(media_type(""), "");
}

TEST(StatusError, A401SaysWhatIsMissingInNeutralWordsWithATypedRemedy) {
  const Error e = mcpauth::mcp::detail::status_error(
      "POST", kUrl, 401, HttpHeaders{{"WWW-Authenticate", R"(Bearer realm="mcp")"}}, "", false);
  EXPECT_EQ(e.code(), ErrorCode::unauthorized);
  EXPECT_EQ(e.http_status(), 401);
  const std::string what = e.what();
  EXPECT_NE(what.find(kUrl), std::string::npos) << what;
  EXPECT_NE(what.find("Authorization header"), std::string::npos) << what;
  EXPECT_EQ(what.find("--header"), std::string::npos) << "the CLI adds its own hint: " << what;
  EXPECT_TRUE(e.remedies().has(mcpauth::Remedy::static_token));
}

}  // namespace

// WHATWG "event stream interpretation" vectors for core::SseParser.
#include "mcpauth/core/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "error_of.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core {
namespace {

struct Ev {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  return os << "{type=" << ::testing::PrintToString(e.type) << " data=" << ::testing::PrintToString(e.data)
            << " id=" << ::testing::PrintToString(e.id) << "}";
}

// Feeds each chunk in turn and collects the events.
std::vector<Ev> feed_chunks(SseParser& parser, const std::vector<std::string_view>& chunks) {
  std::vector<Ev> events;
  for (auto chunk : chunks) {
    parser.feed(chunk, [&](SseEvent&& e) { events.push_back({e.type, e.data, e.id}); });
  }
  return events;
}

std::vector<Ev> parse_whole(std::string_view stream) {
  SseParser parser;
  return feed_chunks(parser, {stream});
}

// The data of each event, in order: all some vectors below need to check.
using Data = std::vector<std::string>;
Data data_of(const std::vector<Ev>& events) {
  Data data;
  for (const auto& e : events) data.push_back(e.data);
  return data;
}

std::vector<Ev> parse_byte_by_byte(std::string_view stream) {
  SseParser parser;
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < stream.size(); ++i) chunks.push_back(stream.substr(i, 1));
  return feed_chunks(parser, chunks);
}

ErrorCode code_of_feed(SseParser& parser, std::string_view chunk) {
  return mcpauth::testing::error_code_of([&] { parser.feed(chunk, [](SseEvent&&) {}); });
}

TEST(SseParser, SingleEventIsDispatchedWithDefaultTypeMessage) {
  const auto events = parse_whole("data: hello\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (Ev{"message", "hello", ""}));
}

TEST(SseParser, MultipleDataLinesAreJoinedWithLineFeed) {
  EXPECT_EQ(data_of(parse_whole("data: one\ndata: two\ndata:three\n\n")), Data{"one\ntwo\nthree"});
}

TEST(SseParser, EventFieldSetsTypeForThatEventOnly) {
  const auto events = parse_whole("event: endpoint\ndata: /messages\n\ndata: next\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "endpoint");
  EXPECT_EQ(events[0].data, "/messages");
  EXPECT_EQ(events[1].type, "message");
}

TEST(SseParser, IdPersistsAcrossLaterEvents) {
  SseParser parser;
  const auto events = feed_chunks(parser, {"id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n"});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].id, "7");
  EXPECT_EQ(events[2].id, "8");
  EXPECT_EQ(parser.last_event_id(), "8");
}

TEST(SseParser, EmptyIdResetsTheLastEventId) {
  SseParser parser;
  const auto events = feed_chunks(parser, {"id: 7\ndata: a\n\nid\ndata: b\n\n"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].id, "");
  EXPECT_EQ(parser.last_event_id(), "");
}

TEST(SseParser, IdContainingNulIsIgnored) {
  SseParser parser;
  using namespace std::string_view_literals;
  const auto events = feed_chunks(parser, {"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"sv});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].id, "1");
  EXPECT_EQ(parser.last_event_id(), "1");
}

TEST(SseParser, RetryAcceptsOnlyAsciiDigits) {
  SseParser parser;
  EXPECT_FALSE(parser.retry().has_value());
  feed_chunks(parser, {"retry: 1500\n\n"});
  ASSERT_TRUE(parser.retry().has_value());
  EXPECT_EQ(parser.retry()->count(), 1500);
  feed_chunks(parser, {"retry: 20x\n\nretry: -5\n\nretry: 1.5\n\nretry:\n\nretry:  300\n\n"});
  ASSERT_TRUE(parser.retry().has_value());
  EXPECT_EQ(parser.retry()->count(), 1500) << "non-digit retry values must be ignored";
}

TEST(SseParser, CommentLinesAreIgnored) {
  SseParser parser;
  EXPECT_EQ(data_of(feed_chunks(parser, {":keepalive\n\n: another\ndata: x\n:between\n\n"})), Data{"x"});
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(SseParser, CommentOnlyStreamHasNoPartialEvent) {
  SseParser parser;
  const auto events = feed_chunks(parser, {":keepalive\n"});
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(SseParser, FieldWithoutColonIsFieldWithEmptyValue) {
  // "data" alone appends an empty line to the data buffer: two of them give "\n".
  EXPECT_EQ(data_of(parse_whole("data\n\n")), Data{""});
  EXPECT_EQ(data_of(parse_whole("data\ndata\n\n")), Data{"\n"});
}

TEST(SseParser, OnlyOneLeadingSpaceAfterColonIsStripped) {
  EXPECT_EQ(data_of(parse_whole("data:  two spaces\n\ndata:none\n\ndata: trailing \n\n")),
            (Data{" two spaces", "none", "trailing "}));
}

TEST(SseParser, UnknownFieldsAreIgnored) {
  EXPECT_EQ(data_of(parse_whole("foo: bar\ndata: x\nDATA: y\n\n")), Data{"x"}) << "field names are case-sensitive";
}

TEST(SseParser, LfCrlfAndCrLineEndingsAreEquivalent) {
  const std::vector<Ev> expected = {{"message", "a\nb", "1"}, {"ping", "c", "1"}};
  EXPECT_EQ(parse_whole("id: 1\ndata: a\ndata: b\n\nevent: ping\ndata: c\n\n"), expected);
  EXPECT_EQ(parse_whole("id: 1\r\ndata: a\r\ndata: b\r\n\r\nevent: ping\r\ndata: c\r\n\r\n"), expected);
  EXPECT_EQ(parse_whole("id: 1\rdata: a\rdata: b\r\revent: ping\rdata: c\r\r"), expected);
  EXPECT_EQ(parse_whole("id: 1\rdata: a\r\ndata: b\n\r\nevent: ping\rdata: c\n\r"), expected);
}

TEST(SseParser, CrlfSplitAcrossChunksIsOneLineEnding) {
  SseParser parser;
  // If the LF at the start of the second chunk were taken as a second line
  // ending, the first event would be dispatched after "data: a" alone.
  const auto events = feed_chunks(parser, {"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb");
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(SseParser, CrAtEndOfChunkFollowedByOtherTextStillEndsTheLine) {
  SseParser parser;
  EXPECT_EQ(data_of(feed_chunks(parser, {"data: a\r", "\r"})), Data{"a"});
}

TEST(SseParser, Utf8BomAtStartIsSkipped) {
  EXPECT_EQ(data_of(parse_whole("\xEF\xBB\xBF"
                                "data: x\n\n")),
            Data{"x"});
}

TEST(SseParser, Utf8BomSplitAcrossChunksIsSkipped) {
  SseParser parser;
  EXPECT_EQ(data_of(feed_chunks(parser, {"\xEF", "\xBB",
                                         "\xBF"
                                         "da",
                                         "ta: x\n\n"})),
            Data{"x"});
}

TEST(SseParser, OnlyOneBomIsSkipped) {
  // The second BOM is part of the first line's field name, so "data" is not recognised.
  EXPECT_EQ(data_of(parse_whole("\xEF\xBB\xBF\xEF\xBB\xBF"
                                "data: x\n\ndata: y\n\n")),
            Data{"y"});
}

TEST(SseParser, BomInTheMiddleIsNotSkipped) {
  EXPECT_EQ(data_of(parse_whole("data: a\n\ndata: \xEF\xBB\xBFz\n\n\xEF\xBB\xBF"
                                "data: lost\n\n")),
            (Data{"a", "\xEF\xBB\xBFz"}));
}

TEST(SseParser, PartialBomPrefixThatIsNotABomIsKept) {
  SseParser parser;
  const auto events = feed_chunks(parser, {"\xEF", "data: x\n\n"});
  // "\xEF" becomes part of the first field name, so this is not a data line.
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, EventWithoutDataIsNotDispatchedButItsIdIsKept) {
  SseParser parser;
  std::vector<Ev> events = feed_chunks(parser, {"id: 42\nevent: ignored\n\n"});
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.last_event_id(), "42");
  events = feed_chunks(parser, {"data: next\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (Ev{"message", "next", "42"})) << "the type of the discarded event must not leak";
}

TEST(SseParser, UnterminatedEventAtEndIsPartialAndNotDispatched) {
  SseParser parser;
  auto events = feed_chunks(parser, {"data: complete\n\ndata: cut"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(parser.has_partial_event());

  SseParser parser2;
  events = feed_chunks(parser2, {"data: line ended but no blank line\n"});
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(parser2.has_partial_event());
}

TEST(SseParser, NoPartialEventAfterACompleteStream) {
  SseParser parser;
  feed_chunks(parser, {"data: x\n\n"});
  EXPECT_FALSE(parser.has_partial_event());
  SseParser empty;
  EXPECT_FALSE(empty.has_partial_event());
}

TEST(SseParser, ByteByByteFeedingGivesTheSameEventsAsWholeFeeding) {
  const std::vector<std::string> streams = {
      "data: hello\n\n",
      "\xEF\xBB\xBF"
      "id: 1\r\nevent: e\r\ndata: a\r\ndata: b\r\n\r\n:comment\r\ndata: c\r\n\r\n",
      "data: a\rdata: b\r\rid: 9\rdata\r\r",
      std::string("retry: 10\nid: x\n\nid: y\0z\ndata: after\n\ndata: a\n\r\n\ndata: unterminated", 67),
      "data:  spaced\n\n\n\n\ndata:\n\nevent:\ndata: typed-empty\n\n",
      "\xEF\xBB"
      "data: not a bom\n\ndata: ok\n\n",
      "data: \xEF\xBB\xBF\r\n\r\n\r\r\n\n",
  };
  for (const auto& s : streams) {
    const auto whole = parse_whole(s);
    EXPECT_EQ(parse_byte_by_byte(s), whole) << "stream: " << ::testing::PrintToString(s);
    // And every two-way split.
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
      SseParser parser;
      const std::string_view view(s);
      EXPECT_EQ(feed_chunks(parser, {view.substr(0, cut), view.substr(cut)}), whole)
          << "stream: " << ::testing::PrintToString(s) << " cut at " << cut;
    }
  }
}

TEST(SseParser, ByteByByteFeedingKeepsTheSameStateAsWholeFeeding) {
  const std::string s = "retry: 250\nid: abc\ndata: x\n\ndata: partial";
  SseParser whole;
  feed_chunks(whole, {s});
  SseParser bytes;
  for (char c : s) feed_chunks(bytes, {std::string_view(&c, 1)});
  EXPECT_EQ(bytes.last_event_id(), whole.last_event_id());
  EXPECT_EQ(bytes.retry(), whole.retry());
  EXPECT_EQ(bytes.has_partial_event(), whole.has_partial_event());
  EXPECT_TRUE(whole.has_partial_event());
}

TEST(SseParser, LineLongerThanLimitThrowsResponseTooLarge) {
  SseParser parser(SseLimits{16, 1024});
  EXPECT_EQ(code_of_feed(parser, "data: " + std::string(100, 'x') + "\n"), ErrorCode::response_too_large);
}

TEST(SseParser, LineLongerThanLimitThrowsEvenWithoutLineEnding) {
  SseParser parser(SseLimits{16, 1024});
  EXPECT_EQ(code_of_feed(parser, std::string(17, 'x')), ErrorCode::response_too_large);
}

TEST(SseParser, LongLineBuiltFromManyChunksThrows) {
  SseParser parser(SseLimits{16, 1024});
  bool thrown = false;
  try {
    for (int i = 0; i < 100; ++i) parser.feed("x", [](SseEvent&&) {});
  } catch (const Error& e) {
    thrown = true;
    EXPECT_EQ(e.code(), ErrorCode::response_too_large);
  }
  EXPECT_TRUE(thrown);
}

TEST(SseParser, LineAtTheLimitIsAccepted) {
  SseParser parser(SseLimits{10, 1024});
  const auto events = feed_chunks(parser, {"data: 1234\n\n"});  // exactly 10 bytes
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "1234");
}

TEST(SseParser, EventDataLargerThanLimitThrows) {
  SseParser parser(SseLimits{1024, 16});
  EXPECT_EQ(code_of_feed(parser, "data: " + std::string(40, 'x') + "\n\n"), ErrorCode::response_too_large);
}

TEST(SseParser, EventDataFromManySmallLinesLargerThanLimitThrows) {
  SseParser parser(SseLimits{1024, 64});
  std::string stream;
  for (int i = 0; i < 40; ++i) stream += "data: ab\n";
  stream += "\n";
  EXPECT_EQ(code_of_feed(parser, stream), ErrorCode::response_too_large);
}

TEST(SseParser, EventDataExactlyAtTheLimitIsAccepted) {
  SseParser parser(SseLimits{1024, 16});
  auto events = feed_chunks(parser, {"data: " + std::string(16, 'x') + "\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data.size(), 16u);

  SseParser multi(SseLimits{1024, 5});
  events = feed_chunks(multi, {"data: ab\ndata: cd\n\n"});  // "ab\ncd": 5 bytes
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "ab\ncd");
}

TEST(SseParser, EventDataOneByteOverTheLimitThrows) {
  SseParser parser(SseLimits{1024, 16});
  EXPECT_EQ(code_of_feed(parser, "data: " + std::string(17, 'x') + "\n\n"), ErrorCode::response_too_large);
  SseParser multi(SseLimits{1024, 5});
  EXPECT_EQ(code_of_feed(multi, "data: ab\ndata: cde\n\n"), ErrorCode::response_too_large);
}

TEST(SseParser, DataLimitIsPerEventNotPerStream) {
  SseParser parser(SseLimits{1024, 64});
  std::string stream;
  for (int i = 0; i < 40; ++i) stream += "data: " + std::string(20, 'a') + "\n\n";
  EXPECT_EQ(feed_chunks(parser, {stream}).size(), 40u);
}

}  // namespace
}  // namespace mcpauth::core

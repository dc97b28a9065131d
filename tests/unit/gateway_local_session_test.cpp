// A local session's outbox and its replay history (Last-Event-ID): what a
// resumed stream is given for each kind of id, and the bounds.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "local_session.hpp"

namespace mcpauth::gateway {
namespace {

// The ids in a piece of the stream, in order.
std::vector<std::string> ids_in(const std::string& text) {
  static const std::regex kId("(?:^|\n)id: ([^\n]+)\n");
  std::vector<std::string> ids;
  for (std::sregex_iterator it(text.begin(), text.end(), kId), end; it != end; ++it) ids.push_back((*it)[1]);
  return ids;
}

class LocalSessionReplay : public ::testing::Test {
 protected:
  LocalSession session{"abcdefgh-the-rest-of-a-session-id", nullptr, false};

  std::string take() {
    std::lock_guard lock(session.mutex);
    return session.take_outbox_locked();
  }
  void resume(const std::string& id) {
    std::lock_guard lock(session.mutex);
    session.resume_after_locked(id);
  }
  void push(int n) {
    for (int i = 0; i < n; ++i) session.push_event(R"({"jsonrpc":"2.0","method":"notifications/message"})");
  }
};

TEST_F(LocalSessionReplay, EventsAreNumberedWithTheSessionsTag) {
  push(2);
  const std::string written = take();
  EXPECT_EQ(ids_in(written), (std::vector<std::string>{"abcdefgh-1", "abcdefgh-2"})) << written;
  EXPECT_NE(written.find("event: message\ndata: {"), std::string::npos) << written;
  EXPECT_EQ(take(), "");
}

TEST_F(LocalSessionReplay, AKnownIdGivesBackWhatFollowedItThenTheOutbox) {
  push(3);
  take();
  push(1);  // while no stream was open
  resume("abcdefgh-1");
  EXPECT_EQ(ids_in(take()), (std::vector<std::string>{"abcdefgh-2", "abcdefgh-3", "abcdefgh-4"}));
  resume("abcdefgh-4");  // it has everything
  EXPECT_EQ(take(), "");
}

TEST_F(LocalSessionReplay, IdsTheSessionNeverWroteChangeNothing) {
  push(2);
  take();
  push(1);
  for (const char* id : {"zzzzzzzz-1", "abcdefgh-", "abcdefgh-x", "abcdefgh-1x", "abcdefgh-99", "1", ""}) resume(id);
  EXPECT_EQ(ids_in(take()), (std::vector<std::string>{"abcdefgh-3"}));
}

TEST_F(LocalSessionReplay, AnIdOlderThanTheHistoryGivesBackEverythingKept) {
  push(static_cast<int>(kMaxReplayEvents) + 10);
  take();
  resume("abcdefgh-1");
  const auto ids = ids_in(take());
  ASSERT_EQ(ids.size(), kMaxReplayEvents);
  EXPECT_EQ(ids.front(), "abcdefgh-11");
  EXPECT_EQ(ids.back(), "abcdefgh-" + std::to_string(kMaxReplayEvents + 10));
}

TEST_F(LocalSessionReplay, TheHistoryIsBoundedInBytes) {
  const std::string big = "\"" + std::string(kMaxReplayBytes / 4, 'x') + "\"";
  for (int i = 0; i < 8; ++i) session.push_event(big);
  take();
  {
    std::lock_guard lock(session.mutex);
    EXPECT_LE(session.written_bytes, kMaxReplayBytes);
    EXPECT_LT(session.written.size(), 4u);
  }
  resume("abcdefgh-1");
  EXPECT_LT(ids_in(take()).size(), 4u);
}

TEST_F(LocalSessionReplay, AClosedSessionTakesNoMoreEvents) {
  session.mark_closed();
  push(1);
  EXPECT_EQ(take(), "");
}

}  // namespace
}  // namespace mcpauth::gateway

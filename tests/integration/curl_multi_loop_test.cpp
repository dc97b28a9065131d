// net::CurlMultiLoop against a tiny HTTP server in this process: many
// streams open at once on its one thread, status and headers and chunks as
// they arrive, cancel from another thread, timers, typed errors, the
// address rules it shares with CurlHttpClient, and the destructor ending
// what still runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "curl_loop_harness.hpp"
#include "mcpauth/net/curl_multi_loop.hpp"

namespace mcpauth {
namespace {

using curl_loop_test::get;
using curl_loop_test::Recorder;
using curl_loop_test::TinyServer;

TEST(CurlMultiLoop, ManyStreamsAreOpenAtOnceOnItsOneThread) {
  TinyServer server;
  net::CurlMultiLoop loop;
  constexpr int kStreams = 50;
  std::vector<std::shared_ptr<Recorder>> recorders;
  for (int i = 0; i < kStreams; ++i) {
    recorders.push_back(std::make_shared<Recorder>());
    loop.start(get(server.url("/stream")), recorders.back());
  }
  // Every stream has its three events while the server still holds them all open.
  for (auto& r : recorders) {
    ASSERT_TRUE(r->wait([&] { return r->body == "data: 1\n\ndata: 2\n\ndata: 3\n\n"; })) << r->body;
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->done);
  }
  EXPECT_EQ(loop.active_transfers(), static_cast<std::size_t>(kStreams));
  server.release();
  std::set<std::thread::id> threads;
  for (auto& r : recorders) {
    ASSERT_TRUE(r->wait([&] { return r->done; }));
    EXPECT_FALSE(r->error) << r->error->what();
    threads.insert(r->threads.begin(), r->threads.end());
  }
  EXPECT_EQ(threads.size(), 1u);  // one loop thread ran every callback
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST(CurlMultiLoop, StatusAndHeadersAndBodyOfAnErrorAnswer) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  loop.start(get(server.url("/missing")), r);
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  EXPECT_FALSE(r->error);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->headers.get("x-test"), "yes");
  EXPECT_EQ(r->body, "gone");
}

TEST(CurlMultiLoop, CancelFromAnotherThreadEndsTheStreamWithCancelled) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  auto op = loop.start(get(server.url("/hold")), r);
  ASSERT_TRUE(r->wait([&] { return r->status == 200; }));
  op->cancel();
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::cancelled);
}

TEST(CurlMultiLoop, RefusedConnectionIsATypedErrorMarkedNeverSent) {
  int port = 0;
  {
    TinyServer closed;  // a port that was just free
    port = std::stoi(closed.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  loop.start(get("http://127.0.0.1:" + std::to_string(port) + "/"), r);
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::connection);
  EXPECT_TRUE(r->error->never_sent());
}

TEST(CurlMultiLoop, AddressRulesAreCheckedAsByCurlHttpClient) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  auto request = get(server.url("/missing"));
  request.addresses.loopback = false;
  loop.start(request, r);
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::insecure_url);
}

TEST(CurlMultiLoop, TimersFireOnTheLoopByDeadlineAndBlockingTasksRunOffIt) {
  net::CurlMultiLoop loop;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> fired;
  std::thread::id timer_thread, blocking_thread;
  auto record = [&](std::string name) {
    std::lock_guard lock(mutex);
    fired.push_back(std::move(name));
    cv.notify_all();
  };
  // Deadlines, not the order of the calls, decide: "soon" is due first
  // however long the second call takes.
  loop.after(std::chrono::milliseconds(0), [&] { record("soon"); });
  loop.after(std::chrono::milliseconds(40), [&] {
    timer_thread = std::this_thread::get_id();
    record("late");
  });
  loop.run_blocking([&] {
    blocking_thread = std::this_thread::get_id();
    record("blocking");
  });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] {
    return std::find(fired.begin(), fired.end(), "late") != fired.end() &&
           std::find(fired.begin(), fired.end(), "blocking") != fired.end();
  }));
  const auto soon = std::find(fired.begin(), fired.end(), "soon");
  ASSERT_NE(soon, fired.end());
  EXPECT_LT(soon - fired.begin(), std::find(fired.begin(), fired.end(), "late") - fired.begin());
  EXPECT_NE(timer_thread, blocking_thread);
  EXPECT_NE(timer_thread, std::this_thread::get_id());
}

TEST(CurlMultiLoop, DestructorEndsWhatStillRunsWithCancelled) {
  TinyServer server;
  auto r = std::make_shared<Recorder>();
  {
    net::CurlMultiLoop loop;
    loop.start(get(server.url("/hold")), r);
    ASSERT_TRUE(r->wait([&] { return r->status == 200; }));
    loop.after(std::chrono::hours(1), [] { ADD_FAILURE() << "a dropped timer fired"; });
  }
  std::lock_guard lock(r->mutex);
  EXPECT_TRUE(r->done);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::cancelled);
}

}  // namespace
}  // namespace mcpauth

// net::CurlMultiLoop's event loop (curl_multi_socket_action from one
// thread): what waking up for ready sockets and deadlines only could get
// wrong. Many transfers finishing at once, a body larger than one read,
// sockets libcurl closes and replaces (redirects, new connections reusing
// descriptor numbers), wake-ups that come from a deadline alone (libcurl's
// timeout, the idle, headers and drain bounds), cancel while data flows,
// and shutdown with transfers in every state.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "curl_loop_harness.hpp"
#include "mcpauth/net/curl_multi_loop.hpp"

namespace mcpauth {
namespace {

using curl_loop_test::big_body;
using curl_loop_test::get;
using curl_loop_test::Recorder;
using curl_loop_test::TinyServer;

using Recorders = std::vector<std::shared_ptr<Recorder>>;

Recorders start_all(net::CurlMultiLoop& loop, const std::vector<net::HttpRequest>& requests) {
  Recorders recorders;
  for (const auto& request : requests) {
    recorders.push_back(std::make_shared<Recorder>());
    loop.start(request, recorders.back());
  }
  return recorders;
}

void expect_cancelled(Recorder& r) {
  std::lock_guard lock(r.mutex);
  EXPECT_TRUE(r.done);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code(), ErrorCode::cancelled);
}

TEST(CurlMultiLoopEvents, ManyShortAndLargeTransfersAtOnceEachCompleteWhole) {
  TinyServer server;
  net::CurlMultiLoop loop;
  std::vector<net::HttpRequest> requests;
  for (int i = 0; i < 200; ++i) requests.push_back(get(server.url(i % 20 == 0 ? "/big" : "/missing")));
  const Recorders recorders = start_all(loop, requests);
  for (std::size_t i = 0; i < recorders.size(); ++i) {
    Recorder& r = *recorders[i];
    ASSERT_TRUE(r.wait_done()) << "transfer " << i << " never ended";
    std::lock_guard lock(r.mutex);
    EXPECT_FALSE(r.error) << r.error->what();
    if (i % 20 == 0) {
      EXPECT_EQ(r.status, 200);
      EXPECT_TRUE(r.body == big_body()) << "body of " << r.body.size() << " bytes";
    } else {
      EXPECT_EQ(r.status, 404);
      EXPECT_EQ(r.body, "gone");
    }
  }
  EXPECT_EQ(loop.active_transfers(), 0u);
}

// An event stream (no total timeout) reads with a smaller receive buffer
// than a request, and idle handles are reused: one after another, streams
// and requests alternate over the same few handles, each body whole (a
// handle reused with a buffer smaller than libcurl reads into would show
// here, under the sanitizers, as an overflow).
TEST(CurlMultiLoopEvents, StreamsAndRequestsAlternatingOverReusedHandlesGetBodiesLargerThanABufferWhole) {
  TinyServer server;
  net::CurlMultiLoop loop;
  for (int i = 0; i < 6; ++i) {
    net::HttpRequest request = get(server.url("/big"));
    if (i % 2 == 0) request.total_timeout = std::chrono::milliseconds(0);
    auto r = std::make_shared<Recorder>();
    loop.start(request, r);
    ASSERT_TRUE(r->wait_done()) << "transfer " << i << " never ended";
    std::lock_guard lock(r->mutex);
    ASSERT_FALSE(r->error) << r->error->what();
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body == big_body()) << "transfer " << i << ": body of " << r->body.size() << " bytes";
  }
  EXPECT_EQ(loop.active_transfers(), 0u);
}

// Each answer closes its connection, so every transfer gets a new socket,
// and the descriptor numbers libcurl closed come back for the next ones.
TEST(CurlMultiLoopEvents, TransfersOneAfterAnotherOnNewSocketsWithReusedNumbers) {
  TinyServer server;
  net::CurlMultiLoop loop;
  for (int i = 0; i < 40; ++i) {
    auto r = std::make_shared<Recorder>();
    loop.start(get(server.url("/missing")), r);
    ASSERT_TRUE(r->wait_done()) << "transfer " << i << " never ended";
    std::lock_guard lock(r->mutex);
    ASSERT_FALSE(r->error) << r->error->what();
    EXPECT_EQ(r->body, "gone");
  }
  EXPECT_EQ(server.connections(), 40u);
}

TEST(CurlMultiLoopEvents, RedirectFollowedOnANewConnectionMidTransfer) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto request = get(server.url("/redirect"));
  request.follow_redirects = true;
  std::vector<net::HttpRequest> requests(20, request);
  const Recorders recorders = start_all(loop, requests);
  for (auto& r : recorders) {
    ASSERT_TRUE(r->wait_done());
    std::lock_guard lock(r->mutex);
    ASSERT_FALSE(r->error) << r->error->what();
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->body, "gone");
  }
  EXPECT_EQ(server.connections(), 40u);  // the 302 closed each first connection
}

// Nothing arrives: only libcurl's own timeout can wake the loop.
TEST(CurlMultiLoopEvents, TotalTimeoutEndsASilentTransfer) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto request = get(server.url("/silent"));
  request.total_timeout = std::chrono::milliseconds(200);
  auto r = std::make_shared<Recorder>();
  loop.start(request, r);
  ASSERT_TRUE(r->wait_done());
  std::lock_guard lock(r->mutex);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::timeout);
}

// The loop's own bounds: no headers in time, no data in time.
TEST(CurlMultiLoopEvents, HeadersAndIdleBoundsEndTransfersWithTimeout) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto no_headers = get(server.url("/silent"));
  no_headers.headers_timeout = std::chrono::milliseconds(100);
  auto no_data = get(server.url("/hold"));
  no_data.idle_timeout = std::chrono::milliseconds(100);
  const Recorders recorders = start_all(loop, {no_headers, no_data});
  for (auto& r : recorders) {
    ASSERT_TRUE(r->wait_done());
    std::lock_guard lock(r->mutex);
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code(), ErrorCode::timeout);
  }
  EXPECT_NE(std::string(recorders[0]->error->what()).find("no response headers"), std::string::npos)
      << recorders[0]->error->what();
  EXPECT_NE(std::string(recorders[1]->error->what()).find("no data"), std::string::npos) << recorders[1]->error->what();
}

// A handler that wants no more while the server keeps the stream open and
// silent: the drain's grace ends the transfer, without an error and without
// an idle bound to wake the loop.
TEST(CurlMultiLoopEvents, HandlerThatStopsEndsASilentStreamAfterTheDrainGrace) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  r->stop_on_body = true;
  loop.start(get(server.url("/stream")), r);
  ASSERT_TRUE(r->wait_done());
  std::lock_guard lock(r->mutex);
  EXPECT_FALSE(r->error) << r->error->what();
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->body.empty());
}

// Half the streams are cancelled while all are open, from another thread
// and from inside another stream's callback; the rest go on to their end.
TEST(CurlMultiLoopEvents, CancelWhileActiveEndsOnlyThoseCancelled) {
  TinyServer server;
  net::CurlMultiLoop loop;
  constexpr int kStreams = 20;
  Recorders recorders;
  std::vector<std::shared_ptr<net::AsyncOperation>> ops;
  for (int i = 0; i < kStreams; ++i) {
    recorders.push_back(std::make_shared<Recorder>());
    ops.push_back(loop.start(get(server.url("/stream")), recorders.back()));
  }
  for (auto& r : recorders) ASSERT_TRUE(r->wait([&] { return r->body == "data: 1\n\ndata: 2\n\ndata: 3\n\n"; }));
  EXPECT_EQ(loop.active_transfers(), static_cast<std::size_t>(kStreams));

  // From the loop thread: a timer's task cancels stream 1.
  auto cancelled_on_loop = std::make_shared<std::atomic<bool>>(false);
  loop.after(std::chrono::milliseconds(0), [op = ops[1], cancelled_on_loop] {
    op->cancel();
    cancelled_on_loop->store(true);
  });
  for (int i = 3; i < kStreams; i += 2) ops[static_cast<std::size_t>(i)]->cancel();
  for (int i = 1; i < kStreams; i += 2) {
    ASSERT_TRUE(recorders[static_cast<std::size_t>(i)]->wait_done());
    expect_cancelled(*recorders[static_cast<std::size_t>(i)]);
  }
  EXPECT_TRUE(cancelled_on_loop->load());
  for (int i = 0; i < kStreams; i += 2) {
    std::lock_guard lock(recorders[static_cast<std::size_t>(i)]->mutex);
    EXPECT_FALSE(recorders[static_cast<std::size_t>(i)]->done) << "stream " << i << " ended with the cancelled ones";
  }
  EXPECT_EQ(loop.active_transfers(), static_cast<std::size_t>(kStreams / 2));
  server.release();
  for (int i = 0; i < kStreams; i += 2) {
    Recorder& r = *recorders[static_cast<std::size_t>(i)];
    ASSERT_TRUE(r.wait_done());
    std::lock_guard lock(r.mutex);
    EXPECT_FALSE(r.error) << r.error->what();
  }
  for (auto& op : ops) op->cancel();  // too late: harmless
}

TEST(CurlMultiLoopEvents, CancelledTimerNeverFires) {
  net::CurlMultiLoop loop;
  std::atomic<bool> fired{false};
  auto first = loop.after(std::chrono::milliseconds(10), [&] { fired = true; });
  first->cancel();
  auto r = std::make_shared<Recorder>();
  // Due later than the first; by then the first was dropped or never fires.
  loop.after(std::chrono::milliseconds(50), [r] { r->on_done(nullptr); });
  ASSERT_TRUE(r->wait_done());
  EXPECT_FALSE(fired.load());
}

// Shutdown with streams open, a request waiting for headers, and one
// started from a handler's end as the loop stops: every one ends, cancelled,
// before the destructor returns.
TEST(CurlMultiLoopEvents, ShutdownEndsEveryTransferInEveryState) {
  TinyServer server;
  Recorders recorders;
  auto late = std::make_shared<Recorder>();
  {
    net::CurlMultiLoop loop;
    recorders = start_all(loop, std::vector<net::HttpRequest>(10, get(server.url("/stream"))));
    for (auto& r : recorders) ASSERT_TRUE(r->wait([&] { return r->status == 200; }));
    auto silent = std::make_shared<Recorder>();
    loop.start(get(server.url("/silent")), silent);
    recorders.push_back(silent);
    std::lock_guard lock(recorders.front()->mutex);
    recorders.front()->when_done = [&loop, late] { loop.start(get("http://127.0.0.1:9/"), late); };
  }
  for (auto& r : recorders) expect_cancelled(*r);
  expect_cancelled(*late);
}

// The last owner lets go inside a callback on the loop thread (the end of a
// cancelled transfer): the loop stops after that callback, without joining
// itself, and ends the other stream still open.
TEST(CurlMultiLoopEvents, LoopReleasedFromItsOwnCallbackStops) {
  TinyServer server;
  auto loop = std::make_shared<net::CurlMultiLoop>();
  auto first = std::make_shared<Recorder>();
  auto second = std::make_shared<Recorder>();
  loop->start(get(server.url("/stream")), second);
  first->when_done = [owner = loop]() mutable { owner.reset(); };
  auto op = loop->start(get(server.url("/hold")), first);
  ASSERT_TRUE(first->wait([&] { return first->status == 200; }));
  ASSERT_TRUE(second->wait([&] { return second->status == 200; }));
  loop.reset();  // the callback's copy is the last
  op->cancel();
  ASSERT_TRUE(first->wait_done());
  ASSERT_TRUE(second->wait_done());
  expect_cancelled(*first);
  expect_cancelled(*second);
}

}  // namespace
}  // namespace mcpauth

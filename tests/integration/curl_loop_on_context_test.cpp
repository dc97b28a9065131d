// net::detail::CurlLoopOnContext against the tiny HTTP server of the
// CurlMultiLoop tests: the loop runs on an io_context its owner runs on one
// thread, so a transfer started on that thread is reported on it; halt()
// ends what still runs with cancelled, drops timers and refuses what comes
// later; and one destroyed without a halt ends what still runs.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "curl_loop_harness.hpp"
#include "mcpauth_internal/net/curl_loop_on_context.hpp"

namespace mcpauth {
namespace {

using curl_loop_test::get;
using curl_loop_test::Recorder;
using curl_loop_test::TinyServer;

// An owner of the rules: one thread runs the io_context; run_here() runs a
// task on it and waits for the task's end.
class OwnerThread {
 public:
  OwnerThread() : thread_([this] { io.run(); }) {}
  ~OwnerThread() { stop(); }
  OwnerThread(const OwnerThread&) = delete;
  OwnerThread& operator=(const OwnerThread&) = delete;

  template <class Task>
  void run_here(Task task) {
    std::promise<void> ran;
    boost::asio::post(io, [&] {
      task();
      ran.set_value();
    });
    ran.get_future().wait();
  }
  std::thread::id id() const { return thread_.get_id(); }
  void stop() {
    work_.reset();
    io.stop();
    if (thread_.joinable()) thread_.join();
  }

  boost::asio::io_context io{1};

 private:
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io.get_executor()};
  std::thread thread_;
};

TEST(CurlLoopOnContext, ATransferStartedOnTheOwnersThreadIsReportedOnIt) {
  TinyServer server;
  OwnerThread owner;
  auto loop = std::make_unique<net::detail::CurlLoopOnContext>(owner.io);
  auto r = std::make_shared<Recorder>();
  owner.run_here([&] { loop->client().start(get(server.url("/missing")), r); });
  ASSERT_TRUE(r->wait_done());
  EXPECT_FALSE(r->error);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "gone");
  {
    std::lock_guard lock(r->mutex);
    EXPECT_EQ(r->threads, std::set<std::thread::id>{owner.id()});  // no thread of the loop's own
  }
  std::promise<void> halted;
  owner.run_here([&] { loop->halt([&] { halted.set_value(); }); });
  halted.get_future().wait();
  owner.stop();
}

TEST(CurlLoopOnContext, HaltEndsWhatRunsDropsTimersAndRefusesWhatComesLater) {
  TinyServer server;
  OwnerThread owner;
  auto loop = std::make_unique<net::detail::CurlLoopOnContext>(owner.io);
  auto held = std::make_shared<Recorder>();
  owner.run_here([&] {
    loop->client().start(get(server.url("/hold")), held);
    loop->client().after(std::chrono::hours(1), [] { ADD_FAILURE() << "a dropped timer fired"; });
  });
  ASSERT_TRUE(held->wait([&] { return held->status == 200; }));

  std::promise<bool> halted;  // whether the held transfer had ended when `halted` ran
  owner.run_here([&] {
    loop->halt([&] {
      std::lock_guard lock(held->mutex);
      halted.set_value(held->done);
    });
  });
  EXPECT_TRUE(halted.get_future().get());
  ASSERT_TRUE(held->error);
  EXPECT_EQ(held->error->code(), ErrorCode::cancelled);
  EXPECT_EQ(loop->client().active_transfers(), 0u);

  auto late = std::make_shared<Recorder>();
  owner.run_here([&] { loop->client().start(get(server.url("/missing")), late); });
  ASSERT_TRUE(late->wait_done());
  ASSERT_TRUE(late->error);
  EXPECT_EQ(late->error->code(), ErrorCode::cancelled);
  EXPECT_EQ(late->status, 0);  // never sent
  owner.stop();
}

TEST(CurlLoopOnContext, DestroyedUnhaltedAfterItsThreadStoppedEndsWhatRuns) {
  TinyServer server;
  auto held = std::make_shared<Recorder>();
  OwnerThread owner;
  auto loop = std::make_unique<net::detail::CurlLoopOnContext>(owner.io);
  owner.run_here([&] { loop->client().start(get(server.url("/hold")), held); });
  ASSERT_TRUE(held->wait([&] { return held->status == 200; }));
  owner.stop();
  EXPECT_FALSE(held->done);
  loop.reset();
  std::lock_guard lock(held->mutex);
  EXPECT_TRUE(held->done);
  ASSERT_TRUE(held->error);
  EXPECT_EQ(held->error->code(), ErrorCode::cancelled);
}

}  // namespace
}  // namespace mcpauth

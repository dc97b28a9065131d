// app::WorkerPool: threads on demand up to the bound, and idle threads end
// (issue 11 item 5: the gateway's threads never shrank after a burst).
#include "worker_pool.hpp"

#include "test_gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace mcpauth::app {
namespace {

using namespace std::chrono_literals;

// Holds every task until released, so a burst occupies one thread per task.
using test_support::Gate;

// Polls `condition` (a bounded wait on an observable state, not a sleep as synchronisation).
template <typename Fn>
bool eventually(Fn condition) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

TEST(WorkerPool, IdleThreadsEndAfterABurstAndNewWorkStartsThreadsAgain) {
  WorkerPool pool(64, 50ms);
  Gate gate;
  std::atomic<int> done{0};
  constexpr int kBurst = 16;
  for (int i = 0; i < kBurst; ++i) {
    pool.submit([&] {
      gate.arrive_and_wait();
      ++done;
    });
  }
  gate.wait_for_arrivals(kBurst);  // every task holds its own thread
  EXPECT_EQ(pool.thread_count(), static_cast<std::size_t>(kBurst));
  gate.open();
  EXPECT_TRUE(eventually([&] { return pool.thread_count() == 0; })) << pool.thread_count() << " threads left";
  EXPECT_EQ(done.load(), kBurst);

  std::atomic<bool> ran{false};
  pool.submit([&] { ran = true; });
  EXPECT_TRUE(eventually([&] { return ran.load(); }));
}

TEST(WorkerPool, ThreadsStayWithinTheBoundAndQueuedTasksAllRun) {
  WorkerPool pool(2, 50ms);
  Gate gate;
  std::atomic<int> done{0};
  for (int i = 0; i < 6; ++i) {
    pool.submit([&] {
      gate.arrive_and_wait();
      ++done;
    });
  }
  gate.wait_for_arrivals(2);
  EXPECT_EQ(pool.thread_count(), 2u);
  gate.open();
  pool.join();
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(pool.thread_count(), 0u);
}

TEST(WorkerPool, WithoutIdleTimeoutExpiryThreadsAreKeptForReuse) {
  WorkerPool pool(8, std::chrono::hours(1));
  std::atomic<bool> ran{false};
  pool.submit([&] { ran = true; });
  EXPECT_TRUE(eventually([&] { return ran.load(); }));
  EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(WorkerPool, RefusesTasksOnceJoinHasBegun) {
  WorkerPool pool(8);
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.submit([&] { ++ran; }));
  pool.join();
  EXPECT_EQ(ran.load(), 1);
  // A thread started now would be joined by no one: the task is refused.
  EXPECT_FALSE(pool.submit([&] { ++ran; }));
  pool.join();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(pool.thread_count(), 0u);
}

}  // namespace
}  // namespace mcpauth::app

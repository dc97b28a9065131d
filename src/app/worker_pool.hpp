// Threads started on demand and kept for reuse: the proxy's concurrent
// requests and the gateway's request handlers. Reuse, because a thread start
// is a clone, a stack and a join: more than the rest of the proxy's work for
// a small call. On demand, because a task should not wait behind long ones:
// when every thread is busy (long tool calls, open event streams), one more
// is started — up to `max_threads`, beyond which tasks queue. A thread idle
// for `idle_timeout` ends, so a burst does not leave its threads behind.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace mcpauth::app {

class WorkerPool {
 public:
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{30'000};

  explicit WorkerPool(std::size_t max_threads = SIZE_MAX, std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout)
      : max_threads_(max_threads), idle_timeout_(idle_timeout) {}
  ~WorkerPool() { join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false once join() has begun (the task is dropped: a thread
  // started then would outlive the join that was to end them all).
  bool submit(std::function<void()> task) {
    std::vector<std::thread> ended;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      ended.swap(ended_);
      tasks_.push_back(std::move(task));
      if (tasks_.size() > idle_ && threads_.size() < max_threads_) {
        threads_.emplace_back();
        const auto self = std::prev(threads_.end());
        *self = std::thread([this, self] { work(self); });
      } else {
        wake_.notify_one();
      }
    }
    for (auto& thread : ended) thread.join();  // they have left work(): a short wait
    return true;
  }

  // Runs what was submitted, then ends the threads; later submits are refused.
  // Idempotent.
  void join() {
    std::list<std::thread> threads;
    std::vector<std::thread> ended;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      threads.swap(threads_);
      ended.swap(ended_);
    }
    wake_.notify_all();
    for (auto& thread : threads) thread.join();
    for (auto& thread : ended) thread.join();
  }

  // Threads alive now (busy or idle).
  std::size_t thread_count() {
    std::lock_guard lock(mutex_);
    return threads_.size();
  }

 private:
  void work(std::list<std::thread>::iterator self) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woken = wake_.wait_for(lock, idle_timeout_, [this] { return !tasks_.empty() || stopping_; });
      --idle_;
      if (!woken && !stopping_) {
        // Idle too long: leave. Whoever next takes the lock joins this thread.
        ended_.push_back(std::move(*self));
        threads_.erase(self);
        return;
      }
      if (tasks_.empty()) return;  // stopping, and nothing left
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::list<std::thread> threads_;  // a list: an ending thread removes its own entry
  std::vector<std::thread> ended_;  // threads that left after idling, to join
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace mcpauth::app

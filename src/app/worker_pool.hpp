// Threads started on demand and kept for reuse: the proxy's concurrent
// requests and the gateway's connections. Reuse, because a thread start is a
// clone, a stack and a join: more than the rest of the proxy's work for a
// small call. On demand, because a task should not wait behind long ones:
// when every thread is busy (long tool calls, open event streams), one more
// is started — up to `max_threads`, beyond which tasks queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mcpauth::app {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads = SIZE_MAX) : max_threads_(max_threads) {}
  ~WorkerPool() { join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
    if (tasks_.size() > idle_ && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { work(); });
    } else {
      wake_.notify_one();
    }
  }

  // Runs what was submitted, then ends the threads. Idempotent.
  void join() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& thread : threads) thread.join();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return !tasks_.empty() || stopping_; });
      --idle_;
      if (tasks_.empty()) return;  // stopping, and nothing left
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace mcpauth::app

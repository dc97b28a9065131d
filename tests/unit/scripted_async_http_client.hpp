// An AsyncHttpClient driven by the test: start() records the request and
// its handler and returns; the test then plays the server (start, body,
// done) on its own thread, which stands for the loop thread. after() records
// timers the test fires; run_blocking() runs the task at once on the calling
// thread and counts it. In-process tests of what runs on an event loop,
// without a socket or a clock.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/net/async_http.hpp"

namespace mcpauth::test_support {

class ScriptedAsyncHttpClient final : public net::AsyncHttpClient {
 public:
  struct Op final : net::AsyncOperation {
    std::atomic<bool> cancelled{false};
    void cancel() override { cancelled = true; }
  };
  struct Transfer {
    net::HttpRequest request;
    std::shared_ptr<net::AsyncStreamHandler> handler;
    std::shared_ptr<Op> op;

    // The server's whole answer: status, headers, body, end.
    void answer(int status, net::HttpHeaders headers = {}, const std::string& body = {}) const {
      if (handler->on_response_start(status, headers) && !body.empty()) handler->on_body(body);
      handler->on_done(nullptr);
    }
    void fail(const Error& error) const { handler->on_done(&error); }
  };
  struct Timer {
    std::chrono::milliseconds delay;
    std::function<void()> task;
    std::shared_ptr<Op> op;
  };

  std::shared_ptr<net::AsyncOperation> start(net::HttpRequest request,
                                             std::shared_ptr<net::AsyncStreamHandler> handler) override {
    auto op = std::make_shared<Op>();
    std::lock_guard lock(mutex_);
    transfers_.push_back({std::move(request), std::move(handler), op});
    return op;
  }
  std::shared_ptr<net::AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task) override {
    auto op = std::make_shared<Op>();
    std::lock_guard lock(mutex_);
    timers_.push_back({delay, std::move(task), op});
    return op;
  }
  void run_blocking(std::function<void()> task) override {
    ++blocking_runs;
    ++inside_blocking;
    task();
    --inside_blocking;
  }

  // The oldest transfer (timer) not yet taken (fails the test when there is none).
  Transfer next_transfer() { return take_oldest(transfers_, "no transfer was started"); }
  Timer next_timer() { return take_oldest(timers_, "no timer was set"); }
  std::size_t pending_transfers() const {
    std::lock_guard lock(mutex_);
    return transfers_.size();
  }
  std::size_t pending_timers() const {
    std::lock_guard lock(mutex_);
    return timers_.size();
  }

  std::atomic<int> blocking_runs{0};
  std::atomic<int> inside_blocking{0};  // > 0 while a run_blocking() task runs

 private:
  template <class T>
  T take_oldest(std::deque<T>& queue, const char* missing) {
    std::lock_guard lock(mutex_);
    if (queue.empty()) {
      ADD_FAILURE() << missing;
      throw std::runtime_error(missing);
    }
    T oldest = queue.front();
    queue.pop_front();
    return oldest;
  }

  mutable std::mutex mutex_;
  std::deque<Transfer> transfers_;
  std::deque<Timer> timers_;
};

}  // namespace mcpauth::test_support

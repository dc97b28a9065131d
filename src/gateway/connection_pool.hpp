// httplib's task queue replaced for the gateway (docs/architecture.md,
// "Server library and threading model").
#pragma once

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mcpauth::gateway {

// Connection threads: one per connection (a long-lived SSE stream holds its
// thread), created on demand up to a bound and kept for reuse; connections
// beyond the bound wait for a free thread. See docs/architecture.md.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(std::size_t max_threads) : max_threads_(std::max<std::size_t>(max_threads, 4)) {}
  ~ConnectionPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void run();

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

}  // namespace mcpauth::gateway

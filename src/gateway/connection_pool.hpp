// httplib's task queue replaced for the gateway (docs/architecture.md,
// "Server library and threading model").
#pragma once

#include <httplib.h>

#include <algorithm>
#include <cstddef>
#include <functional>

#include "worker_pool.hpp"

namespace mcpauth::gateway {

// Connection threads: one per connection (a long-lived SSE stream holds its
// thread), created on demand up to a bound and kept for reuse; connections
// beyond the bound wait for a free thread. See docs/architecture.md.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(std::size_t max_threads) : pool_(std::max<std::size_t>(max_threads, 4)) {}

  void enqueue(std::function<void()> fn) override { pool_.submit(std::move(fn)); }
  void shutdown() override { pool_.join(); }

 private:
  app::WorkerPool pool_;
};

}  // namespace mcpauth::gateway

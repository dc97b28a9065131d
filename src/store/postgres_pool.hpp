// The PostgreSQL store's connection pool: at most `max_open` connections at
// once (in use and idle together), at most `max_idle` of them kept for
// reuse. An operation that finds every connection in use waits for one to
// come back, up to `wait`, then fails with Error(store): a burst of threads
// (a gateway's requests at a token's expiry) can no longer open a connection
// each, past what the server allows (max_connections, 100 by default,
// shared by every instance).
//
// A template over the connection type (PgConnection in the store) so that
// its waiting can be tested without a server. A Lease gives its connection
// back only through give_back(), i.e. when the operation left it clean; a
// lease dropped otherwise (an exception) closes its connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {

template <class Connection>
class BoundedPool {
 public:
  using Connect = std::function<std::unique_ptr<Connection>()>;

  struct Limits {
    std::size_t max_open = 16;
    std::size_t max_idle = 8;
    std::chrono::milliseconds wait{30'000};
  };

  class Lease {
   public:
    Lease(BoundedPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pool_) pool_->put(std::move(connection_), false);
    }

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    // The operation left the connection clean: it may serve the next one.
    void give_back() { std::exchange(pool_, nullptr)->put(std::move(connection_), true); }

   private:
    BoundedPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // `what` names the store in the error a waiter gets (never a password).
  BoundedPool(Connect connect, Limits limits, std::string what)
      : connect_(std::move(connect)), limits_(limits), what_(std::move(what)) {
    if (limits_.max_open == 0) limits_.max_open = 1;
  }

  // An idle connection, else a new one while fewer than max_open are open,
  // else the first one given back within the wait. Throws Error(store) when
  // the wait passes, and what connecting throws.
  Lease acquire() {
    std::unique_lock lock(mutex_);
    const bool available =
        returned_.wait_for(lock, limits_.wait, [&] { return !idle_.empty() || open_ < limits_.max_open; });
    if (!available) {
      throw Error(ErrorCode::store, "all " + std::to_string(limits_.max_open) + " connections to " + what_ +
                                        " stayed in use for " + std::to_string(limits_.wait.count()) +
                                        " ms; none came free for this operation");
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
    ++open_;  // counted before connecting (outside the lock), so no other caller overshoots
    lock.unlock();
    try {
      return Lease(*this, connect_());
    } catch (...) {
      put(nullptr, false);
      throw;
    }
  }

  // Connections open now (in use and idle).
  std::size_t open() const {
    std::lock_guard lock(mutex_);
    return open_;
  }

 private:
  void put(std::unique_ptr<Connection> connection, bool clean) {
    {
      std::lock_guard lock(mutex_);
      if (connection && clean && !connection->broken() && idle_.size() < limits_.max_idle) {
        idle_.push_back(std::move(connection));
      } else {
        --open_;
      }
    }
    returned_.notify_one();
    // A connection not kept closes here, outside the lock.
  }

  Connect connect_;
  Limits limits_;
  std::string what_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace mcpauth::store::detail

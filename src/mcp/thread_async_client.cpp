#include "thread_async_client.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace mcpauth::mcp::detail {
namespace {

using Clock = std::chrono::steady_clock;

// The thread's queue lock and wake-up, shared with the operations (which
// may outlive the client).
struct Signal {
  std::mutex mutex;
  std::condition_variable cv;
};

// A transfer's or timer's cancel(): the token ends a blocking transfer at
// once; the flag keeps a waiting timer from firing.
class Operation final : public net::AsyncOperation {
 public:
  explicit Operation(std::shared_ptr<Signal> signal) : signal_(std::move(signal)) {}
  void cancel() override {
    token.cancel();
    std::lock_guard lock(signal_->mutex);
    signal_->cv.notify_all();
  }
  bool cancelled() const { return token.cancelled(); }
  net::CancelToken token;

 private:
  std::shared_ptr<Signal> signal_;
};

}  // namespace

// Shared with its thread, which keeps it alive to the end of its loop (a
// shutdown() from a handler on that thread detaches rather than joins).
class ThreadAsyncClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(std::shared_ptr<net::HttpClient> http) : http_(std::move(http)) {}

  void shutdown() {
    std::deque<Item> dropped;
    std::shared_ptr<Operation> current;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      current = current_;
      dropped.swap(items_);
    }
    if (current) current->cancel();  // takes the queue lock to wake the thread
    cv_.notify_all();
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id()) {
        thread_.detach();  // it ends after this item: stopping_ is set
      } else {
        thread_.join();
      }
    }
    const Error stopped(ErrorCode::cancelled, "the connection is closed");
    for (auto& item : dropped) {
      if (item.handler) item.handler->on_done(&stopped);
    }
  }

  std::shared_ptr<net::AsyncOperation> enqueue(Clock::time_point due, net::HttpRequest request,
                                               std::shared_ptr<net::AsyncStreamHandler> handler,
                                               std::function<void()> task) {
    auto op = std::make_shared<Operation>(signal_);
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        items_.push_back(Item{due, std::move(request), std::move(handler), std::move(task), op});
        if (!thread_.joinable()) thread_ = std::thread([self = shared_from_this()] { self->run(); });
        cv_.notify_all();
        return op;
      }
    }
    if (handler) {
      const Error stopped(ErrorCode::cancelled, "the connection is closed");
      handler->on_done(&stopped);
    }
    return op;
  }

 private:
  struct Item {
    Clock::time_point due;
    net::HttpRequest request;
    std::shared_ptr<net::AsyncStreamHandler> handler;  // null for a task
    std::function<void()> task;
    std::shared_ptr<Operation> op;
  };

  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (items_.empty()) {
        cv_.wait(lock);
        continue;
      }
      // One item at a time, in order: the stream machine keeps at most one
      // transfer or timer pending, so order is its order.
      Item& front = items_.front();
      if (!front.op->cancelled() && Clock::now() < front.due) {
        cv_.wait_until(lock, front.due);
        continue;
      }
      Item item = std::move(front);
      items_.pop_front();
      current_ = item.op;
      lock.unlock();
      if (item.handler) {
        transfer(item);
      } else if (!item.op->cancelled()) {
        try {
          item.task();
        } catch (...) {
          // A task reports its own failures.
        }
      }
      lock.lock();
      current_.reset();
    }
  }

  void transfer(Item& item) {
    std::optional<Error> failure;
    try {
      if (item.op->cancelled()) {
        throw Error(ErrorCode::cancelled, item.request.method + " " + item.request.url + " was cancelled",
                    item.request.url);
      }
      http_->stream(item.request, *item.handler, &item.op->token);
    } catch (const Error& e) {
      failure = e;
    } catch (const std::exception& e) {
      failure = Error(ErrorCode::protocol, std::string("a response could not be handled: ") + e.what());
    }
    try {
      item.handler->on_done(failure ? &*failure : nullptr);
    } catch (...) {
      // Nobody is left to tell.
    }
  }

  std::shared_ptr<net::HttpClient> http_;
  std::shared_ptr<Signal> signal_ = std::make_shared<Signal>();
  std::mutex& mutex_ = signal_->mutex;
  std::condition_variable& cv_ = signal_->cv;
  std::deque<Item> items_;
  std::shared_ptr<Operation> current_;
  bool stopping_ = false;
  std::thread thread_;
};

ThreadAsyncClient::ThreadAsyncClient(std::shared_ptr<net::HttpClient> http)
    : impl_(std::make_shared<Impl>(std::move(http))) {}

ThreadAsyncClient::~ThreadAsyncClient() {
  impl_->shutdown();
}

void ThreadAsyncClient::shutdown() {
  impl_->shutdown();
}

std::shared_ptr<net::AsyncOperation> ThreadAsyncClient::start(net::HttpRequest request,
                                                              std::shared_ptr<net::AsyncStreamHandler> handler) {
  return impl_->enqueue(Clock::now(), std::move(request), std::move(handler), nullptr);
}

std::shared_ptr<net::AsyncOperation> ThreadAsyncClient::after(std::chrono::milliseconds delay,
                                                              std::function<void()> task) {
  return impl_->enqueue(Clock::now() + delay, {}, nullptr, std::move(task));
}

void ThreadAsyncClient::run_blocking(std::function<void()> task) {
  impl_->enqueue(Clock::now(), {}, nullptr, std::move(task));
}

}  // namespace mcpauth::mcp::detail

#include "mcpauth/net/curl_multi_loop.hpp"

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "curl_transfer.hpp"
#include "mcpauth/version.hpp"

namespace mcpauth::net {
namespace {

// Upper bound on one curl_multi_poll wait, so idle bounds are noticed.
constexpr long kPollSliceMs = 1000;
constexpr std::size_t kMaxIdleHandles = 64;

using Clock = std::chrono::steady_clock;

// Wakes the loop's poll; shared with the operations, which may outlive the loop.
class Waker {
 public:
  explicit Waker(CURLM* multi) : multi_(multi) {}
  void wake() {
    std::lock_guard lock(mutex_);
    if (multi_) curl_multi_wakeup(multi_);
  }
  void detach() {
    std::lock_guard lock(mutex_);
    multi_ = nullptr;
  }

 private:
  std::mutex mutex_;
  CURLM* multi_;
};

// What cancel() flips; the loop reads it on its thread.
class Operation final : public AsyncOperation {
 public:
  explicit Operation(std::shared_ptr<Waker> waker) : waker_(std::move(waker)) {}
  void cancel() override {
    if (!cancelled_.exchange(true)) waker_->wake();
  }
  bool cancelled() const noexcept { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
  std::shared_ptr<Waker> waker_;
};

Error as_error(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    return Error(ErrorCode::protocol, std::string("a response could not be handled: ") + e.what());
  } catch (...) {
    return Error(ErrorCode::protocol, "a response could not be handled");
  }
}

void report_done(AsyncStreamHandler& handler, const Error* error) noexcept {
  try {
    handler.on_done(error);
  } catch (...) {
    // A handler's failure at its end has no one left to go to.
  }
}

// The run_blocking() pool: threads start as tasks arrive, up to the bound.
// Its threads share it, so it may be stopped from one of them (which is
// then detached and ends after its task).
class BlockingPool : public std::enable_shared_from_this<BlockingPool> {
 public:
  explicit BlockingPool(std::size_t threads) : max_threads_(std::max<std::size_t>(1, threads)) {}

  bool post(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
    if (idle_ == 0 && threads_.size() < max_threads_) {
      threads_.emplace_back([self = shared_from_this()] { self->run(); });
    } else {
      cv_.notify_one();
    }
    return true;
  }

  // Runs what is queued, then joins.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) {
      if (!t.joinable()) continue;
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();
      } else {
        t.join();
      }
    }
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      --idle_;
      if (tasks_.empty()) return;  // stopping, nothing left
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      try {
        task();
      } catch (...) {
        // A task reports its own failures; the pool goes on.
      }
      lock.lock();
    }
  }

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace

// Shared with the loop thread, which keeps it to the end of its loop: the
// last owner may let go on that thread (a handler's owner freed by its
// callback), and then the thread is detached rather than joined.
class CurlMultiLoop::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(CurlMultiLoopOptions options);
  ~Impl();
  void launch() {
    thread_ = std::thread([self = shared_from_this()] { self->loop(); });
  }
  void shutdown();

  std::shared_ptr<AsyncOperation> start(HttpRequest request, std::shared_ptr<AsyncStreamHandler> handler);
  std::shared_ptr<AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task);
  void run_blocking(std::function<void()> task);
  std::size_t active() const { return active_.load(); }

 private:
  // One transfer on the loop: the request and handler it keeps alive, and
  // the curl state that points at them.
  struct Running {
    HttpRequest request;
    std::shared_ptr<AsyncStreamHandler> handler;
    std::shared_ptr<Operation> op;
    CURL* easy = nullptr;
    std::unique_ptr<detail::CurlTransfer> transfer;
  };
  struct Timer {
    std::shared_ptr<Operation> op;
    std::function<void()> task;
  };

  // Queues work for the loop thread and wakes it; false once the loop stopped.
  bool post(std::function<void()> command);
  void wake() { waker_->wake(); }
  void loop();
  void begin(std::unique_ptr<Running> running);
  void end(CURL* easy, bool done, CURLcode result, bool cancelled, bool idle_expired);
  CURL* acquire_easy();

  detail::EasySettings settings_;
  CURLM* multi_ = nullptr;
  std::shared_ptr<Waker> waker_;

  std::mutex mutex_;  // guards commands_ and stopping_
  std::vector<std::function<void()>> commands_;
  bool stopping_ = false;

  // Loop-thread state.
  std::unordered_map<CURL*, std::unique_ptr<Running>> running_;
  std::multimap<Clock::time_point, Timer> timers_;
  std::vector<CURL*> idle_easy_;
  std::atomic<std::size_t> active_{0};

  std::shared_ptr<BlockingPool> pool_;
  std::thread thread_;
};

CurlMultiLoop::Impl::Impl(CurlMultiLoopOptions options)
    : pool_(std::make_shared<BlockingPool>(options.blocking_threads)) {
  detail::curl_global_init_once();
  settings_.user_agent =
      options.http.user_agent.empty() ? std::string("mcpauth/") + version() : std::move(options.http.user_agent);
  settings_.ca_bundle = std::move(options.http.ca_bundle);
  multi_ = curl_multi_init();
  if (!multi_) throw std::bad_alloc();
  waker_ = std::make_shared<Waker>(multi_);
}

void CurlMultiLoop::Impl::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // the loop ends when this callback returns
      return;
    }
    thread_.join();
  }
}

CurlMultiLoop::Impl::~Impl() {
  pool_->stop();
  waker_->detach();
  for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
}

bool CurlMultiLoop::Impl::post(std::function<void()> command) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    commands_.push_back(std::move(command));
  }
  wake();
  return true;
}

std::shared_ptr<AsyncOperation> CurlMultiLoop::Impl::start(HttpRequest request,
                                                           std::shared_ptr<AsyncStreamHandler> handler) {
  auto op = std::make_shared<Operation>(waker_);
  auto running = std::make_shared<std::unique_ptr<Running>>(std::make_unique<Running>());
  (*running)->request = std::move(request);
  (*running)->handler = handler;
  (*running)->op = op;
  if (!post([this, running] { begin(std::move(*running)); })) {
    const Error stopped(ErrorCode::cancelled, "the HTTP event loop has stopped");
    report_done(*handler, &stopped);
  }
  return op;
}

std::shared_ptr<AsyncOperation> CurlMultiLoop::Impl::after(std::chrono::milliseconds delay,
                                                           std::function<void()> task) {
  auto op = std::make_shared<Operation>(waker_);
  const auto due = Clock::now() + delay;
  post([this, due, op, task = std::move(task)]() mutable { timers_.emplace(due, Timer{op, std::move(task)}); });
  return op;
}

void CurlMultiLoop::Impl::run_blocking(std::function<void()> task) {
  pool_->post(std::move(task));
}

CURL* CurlMultiLoop::Impl::acquire_easy() {
  if (!idle_easy_.empty()) {
    CURL* easy = idle_easy_.back();
    idle_easy_.pop_back();
    return easy;
  }
  CURL* easy = curl_easy_init();
  if (!easy) throw std::bad_alloc();
  return easy;
}

void CurlMultiLoop::Impl::begin(std::unique_ptr<Running> running) {
  if (running->op->cancelled()) {
    const Error cancelled(ErrorCode::cancelled, running->request.method + " " + running->request.url + " was cancelled",
                          running->request.url);
    report_done(*running->handler, &cancelled);
    return;
  }
  try {
    running->easy = acquire_easy();
    running->transfer = std::make_unique<detail::CurlTransfer>(running->easy, running->request, *running->handler);
    running->transfer->setup(settings_);
    if (curl_multi_add_handle(multi_, running->easy) != CURLM_OK) throw std::bad_alloc();
  } catch (...) {
    if (running->easy) idle_easy_.push_back(running->easy);
    const Error failed = as_error(std::current_exception());
    report_done(*running->handler, &failed);
    return;
  }
  CURL* easy = running->easy;
  running_.emplace(easy, std::move(running));
  ++active_;
}

void CurlMultiLoop::Impl::end(CURL* easy, bool done, CURLcode result, bool cancelled, bool idle_expired) {
  auto it = running_.find(easy);
  if (it == running_.end()) return;
  std::unique_ptr<Running> running = std::move(it->second);
  running_.erase(it);
  --active_;
  curl_multi_remove_handle(multi_, easy);
  std::optional<Error> failure;
  try {
    running->transfer->finish(done, result, cancelled, idle_expired);
  } catch (...) {
    failure = as_error(std::current_exception());
  }
  running->transfer.reset();
  if (idle_easy_.size() < kMaxIdleHandles) {
    idle_easy_.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
  report_done(*running->handler, failure ? &*failure : nullptr);
}

void CurlMultiLoop::Impl::loop() {
  for (;;) {
    std::vector<std::function<void()>> commands;
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      commands.swap(commands_);
      stopping = stopping_;
    }
    for (auto& command : commands) command();
    if (stopping) break;

    int still_running = 0;
    curl_multi_perform(multi_, &still_running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg == CURLMSG_DONE) end(msg->easy_handle, true, msg->data.result, false, false);
    }

    // Cancelled transfers, and the idle and drain bounds of the others.
    long wait_ms = kPollSliceMs;
    std::vector<std::pair<CURL*, detail::CurlTransfer::Watch>> stopped;
    std::vector<CURL*> cancelled;
    for (auto& [easy, running] : running_) {
      if (running->op->cancelled()) {
        cancelled.push_back(easy);
        continue;
      }
      const auto watch = running->transfer->watch(wait_ms);
      if (watch != detail::CurlTransfer::Watch::go) stopped.emplace_back(easy, watch);
    }
    for (CURL* easy : cancelled) end(easy, false, CURLE_OK, true, false);
    for (auto& [easy, watch] : stopped) {
      end(easy, false, CURLE_OK, false, watch == detail::CurlTransfer::Watch::idle_expired);
    }

    // Timers that are due (cancelled ones are dropped).
    const auto now = Clock::now();
    std::vector<Timer> due;
    while (!timers_.empty() && timers_.begin()->first <= now) {
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
    for (auto& timer : due) {
      if (timer.op->cancelled()) continue;
      try {
        timer.task();
      } catch (...) {
        // A timer's task reports its own failures.
      }
    }
    for (auto it = timers_.begin(); it != timers_.end();) {
      it = it->second.op->cancelled() ? timers_.erase(it) : std::next(it);
    }
    if (!due.empty() || !cancelled.empty() || !stopped.empty()) continue;  // they may have queued work
    if (!timers_.empty()) {
      const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.begin()->first - now).count();
      wait_ms = std::min<long>(wait_ms, static_cast<long>(until) + 1);
    }
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }

  // Stopping: every transfer still running ends cancelled; timers are dropped.
  std::vector<CURL*> left;
  for (auto& [easy, running] : running_) left.push_back(easy);
  for (CURL* easy : left) end(easy, false, CURLE_OK, true, false);
  timers_.clear();
}

CurlMultiLoop::CurlMultiLoop(CurlMultiLoopOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->launch();
}

CurlMultiLoop::~CurlMultiLoop() {
  impl_->shutdown();
}

std::shared_ptr<AsyncOperation> CurlMultiLoop::start(HttpRequest request, std::shared_ptr<AsyncStreamHandler> handler) {
  return impl_->start(std::move(request), std::move(handler));
}

std::shared_ptr<AsyncOperation> CurlMultiLoop::after(std::chrono::milliseconds delay, std::function<void()> task) {
  return impl_->after(delay, std::move(task));
}

void CurlMultiLoop::run_blocking(std::function<void()> task) {
  impl_->run_blocking(std::move(task));
}

std::size_t CurlMultiLoop::active_transfers() const {
  return impl_->active();
}

}  // namespace mcpauth::net

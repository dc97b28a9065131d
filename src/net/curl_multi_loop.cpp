#include "mcpauth/net/curl_multi_loop.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "curl_socket_driver.hpp"
#include "curl_transfer.hpp"
#include "mcpauth/version.hpp"
#include "mcpauth_internal/net/curl_loop_on_context.hpp"

namespace mcpauth::net {
namespace {

// A deadline further than any bound: the transfer has none to keep.
constexpr long kNoBound = std::numeric_limits<long>::max();
constexpr std::size_t kMaxIdleHandles = 64;
// An event stream's receive buffer (libcurl's default is 16 KiB, held by
// every handle for its whole life): events are small, and with 10,000
// streams open the default alone is 160 MB. A larger event arrives in
// several reads, which the SSE parser joins.
constexpr long kStreamBufferBytes = 4096;

// The way into the loop from any thread; shared with the operations, which
// may outlive the loop. Closed at shutdown, after which nothing more is
// queued (what was queued before runs first: the queue is in order).
class Inbox {
 public:
  explicit Inbox(boost::asio::io_context& io) : io_(&io) {}
  template <class Command>
  bool post(Command&& command) {
    std::lock_guard lock(mutex_);
    if (!io_) return false;
    boost::asio::post(*io_, std::forward<Command>(command));
    return true;
  }
  void close() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
  }

 private:
  std::mutex mutex_;
  boost::asio::io_context* io_;
};

// What cancel() flips, and the command that tells the loop (so the loop
// finds the one transfer or timer at once, without looking at the others).
class Operation final : public AsyncOperation {
 public:
  Operation(std::shared_ptr<Inbox> inbox, std::function<void()> on_cancel)
      : inbox_(std::move(inbox)), on_cancel_(std::move(on_cancel)) {}
  void cancel() override {
    if (!cancelled_.exchange(true)) inbox_->post(on_cancel_);
  }
  bool cancelled() const noexcept { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
  std::shared_ptr<Inbox> inbox_;
  const std::function<void()> on_cancel_;
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
  // On `external` (run by its owner's one thread), or on an io_context and
  // thread of its own (launch()).
  Impl(CurlMultiLoopOptions options, boost::asio::io_context* external);
  ~Impl();
  void launch() {
    thread_ = std::thread([self = shared_from_this()] { self->run(); });
  }
  void shutdown();
  void halt(std::function<void()> halted);

  std::shared_ptr<AsyncOperation> start(HttpRequest request, std::shared_ptr<AsyncStreamHandler> handler);
  std::shared_ptr<AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task);
  void run_blocking(std::function<void()> task);
  std::size_t active() const { return active_.load(); }

 private:
  // What the transfer's callbacks go through: the handler's, and a handler
  // that stops early starts the drain, whose grace gets a deadline of its own.
  class Relay final : public HttpStreamHandler {
   public:
    Relay(Impl& impl, std::uint64_t id, AsyncStreamHandler& to) : impl_(impl), id_(id), to_(to) {}
    bool on_response_start(int status, const HttpHeaders& headers) override {
      return to_.on_response_start(status, headers);
    }
    bool on_body(std::string_view chunk) override {
      if (to_.on_body(chunk)) return true;
      // Inside libcurl: look at the bounds once its call has returned.
      boost::asio::post(impl_.io_, [impl = &impl_, id = id_] { impl->check_bounds(id); });
      return false;
    }

   private:
    Impl& impl_;
    const std::uint64_t id_;
    AsyncStreamHandler& to_;
  };

  // One transfer on the loop: the request and handler it keeps alive, the
  // curl state that points at them, and the deadline of its idle, headers
  // and drain bounds.
  struct Running {
    Running(Impl& impl, std::uint64_t id_, HttpRequest request_, std::shared_ptr<AsyncStreamHandler> handler_,
            std::shared_ptr<Operation> op_)
        : id(id_),
          request(std::move(request_)),
          handler(std::move(handler_)),
          op(std::move(op_)),
          relay(impl, id, *handler),
          bound(impl.io_) {}
    const std::uint64_t id;
    HttpRequest request;
    std::shared_ptr<AsyncStreamHandler> handler;
    std::shared_ptr<Operation> op;
    Relay relay;
    boost::asio::steady_timer bound;
    CURL* easy = nullptr;
    std::unique_ptr<detail::CurlTransfer> transfer;
  };
  struct Timer {
    std::shared_ptr<Operation> op;
    std::function<void()> task;
    boost::asio::steady_timer clock;
  };

  std::shared_ptr<Operation> operation(std::uint64_t id);
  void run();
  void stop_now();
  void begin(std::unique_ptr<Running> running);
  void cancel(std::uint64_t id);
  void end_oldest_first(std::vector<std::uint64_t> ids);
  void check_bounds(std::uint64_t id);
  void fire(std::uint64_t id);
  void end(CURL* easy, bool done, CURLcode result, bool cancelled, bool idle_expired);
  CURL* acquire_easy(bool endless);
  void release_easy(CURL* easy, bool endless);

  // Declared first, destroyed last: the timers and sockets below are its
  // (an external io_context outlives this object: its owner's rule).
  std::unique_ptr<boost::asio::io_context> own_io_;
  boost::asio::io_context& io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::shared_ptr<Inbox> inbox_;
  std::atomic<std::uint64_t> next_id_{1};

  detail::EasySettings settings_;
  CURLM* multi_ = nullptr;
  // The connection cache of the event streams (transfers without an end),
  // apart from the multi's own, which the requests use. libcurl looks for a
  // reusable connection by walking every connection to the same host: with
  // thousands of streams open to one server, each request walked them all
  // (measured: ~0.18 ms of CPU per request with 1,000 streams open), although
  // a stream's connection is never free to reuse while it lives.
  CURLSH* stream_connections_ = nullptr;

  // Loop-thread state.
  std::unique_ptr<detail::CurlSocketDriver> driver_;
  std::unordered_map<CURL*, std::unique_ptr<Running>> running_;
  std::unordered_map<std::uint64_t, CURL*> by_id_;
  std::unordered_map<std::uint64_t, Timer> timers_;
  std::vector<std::uint64_t> cancelled_;  // to end on the next turn (cancel())
  bool reap_posted_ = false;
  // Idle handles, kept apart: an event stream's has a small receive buffer
  // (kStreamBufferBytes), a request's libcurl's default. A handle never
  // changes kind, so its buffer always matches the size libcurl reads with.
  std::vector<CURL*> idle_easy_;
  std::vector<CURL*> idle_stream_easy_;
  std::atomic<std::size_t> active_{0};

  std::shared_ptr<BlockingPool> pool_;
  std::thread thread_;
};

CurlMultiLoop::Impl::Impl(CurlMultiLoopOptions options, boost::asio::io_context* external)
    : own_io_(external ? nullptr : std::make_unique<boost::asio::io_context>(1)),
      io_(external ? *external : *own_io_),
      inbox_(std::make_shared<Inbox>(io_)),
      pool_(std::make_shared<BlockingPool>(options.blocking_threads)) {
  detail::curl_global_init_once();
  settings_.user_agent =
      options.http.user_agent.empty() ? std::string("mcpauth/") + version() : std::move(options.http.user_agent);
  settings_.ca_bundle = std::move(options.http.ca_bundle);
  multi_ = curl_multi_init();
  if (!multi_) throw std::bad_alloc();
  stream_connections_ = curl_share_init();
  if (!stream_connections_ ||
      curl_share_setopt(stream_connections_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
    curl_share_cleanup(stream_connections_);
    curl_multi_cleanup(multi_);
    throw std::bad_alloc();
  }
  driver_ = std::make_unique<detail::CurlSocketDriver>(
      io_, multi_, [this](CURL* easy, CURLcode result) { end(easy, true, result, false, false); });
  if (own_io_) work_.emplace(boost::asio::make_work_guard(io_));
}

CurlMultiLoop::Impl::~Impl() {
  pool_->stop();
  inbox_->close();
  // On an external loop that was never halted (its thread is gone): the
  // transfers still running end here, so their handlers hear of it.
  if (!own_io_) stop_now();
  driver_.reset();
  for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
  for (CURL* easy : idle_stream_easy_) curl_easy_cleanup(easy);
  // After every easy handle that used it (libcurl refuses, and keeps it,
  // while one still does); its cached connections close here.
  curl_share_cleanup(stream_connections_);
  curl_multi_cleanup(multi_);
}

void CurlMultiLoop::Impl::run() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (...) {
      // Every handler reports its own failures; the loop goes on.
    }
  }
}

void CurlMultiLoop::Impl::shutdown() {
  // On an external loop its owner halts it, on its thread (halt()).
  if (!own_io_) {
    inbox_->close();
    return;
  }
  // Commands already queued run first (the queue is in order), then the stop.
  inbox_->close();
  boost::asio::post(io_, [this] { stop_now(); });
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // the loop ends when this callback returns
      return;
    }
    thread_.join();
  }
}

// External loop: commands already queued run first (the queue is in
// order: those of other threads are in it already, this thread's go ahead
// of what it posts now), then the stop, then `halted`.
void CurlMultiLoop::Impl::halt(std::function<void()> halted) {
  inbox_->close();
  // Weak: what is left in the owner's queue when it stops must not keep
  // this object to the loop's own destruction.
  boost::asio::post(io_, [weak = weak_from_this(), halted = std::move(halted)] {
    if (auto self = weak.lock()) self->stop_now();
    if (halted) halted();
  });
}

// Every transfer still running ends cancelled; timers are dropped.
void CurlMultiLoop::Impl::stop_now() {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, easy] : by_id_) ids.push_back(id);
  end_oldest_first(std::move(ids));
  timers_.clear();
  driver_->stop();
  if (!own_io_) return;  // the owner's loop goes on with its other work
  work_.reset();
  io_.stop();  // what is left are cancelled waits, which have nothing to do
}

std::shared_ptr<Operation> CurlMultiLoop::Impl::operation(std::uint64_t id) {
  return std::make_shared<Operation>(inbox_, [this, id] { cancel(id); });
}

std::shared_ptr<AsyncOperation> CurlMultiLoop::Impl::start(HttpRequest request,
                                                           std::shared_ptr<AsyncStreamHandler> handler) {
  const std::uint64_t id = next_id_++;
  auto op = operation(id);
  auto running = std::make_unique<Running>(*this, id, std::move(request), handler, op);
  if (!inbox_->post([this, running = std::move(running)]() mutable { begin(std::move(running)); })) {
    const Error stopped(ErrorCode::cancelled, "the HTTP event loop has stopped");
    report_done(*handler, &stopped);
  }
  return op;
}

std::shared_ptr<AsyncOperation> CurlMultiLoop::Impl::after(std::chrono::milliseconds delay,
                                                           std::function<void()> task) {
  const std::uint64_t id = next_id_++;
  auto op = operation(id);
  const auto due = std::chrono::steady_clock::now() + delay;
  inbox_->post([this, id, due, op, task = std::move(task)]() mutable {
    if (op->cancelled()) return;
    auto& timer = timers_.emplace(id, Timer{op, std::move(task), boost::asio::steady_timer(io_, due)}).first->second;
    timer.clock.async_wait([this, id](const boost::system::error_code& ec) {
      if (!ec) fire(id);
    });
  });
  return op;
}

void CurlMultiLoop::Impl::run_blocking(std::function<void()> task) {
  pool_->post(std::move(task));
}

CURL* CurlMultiLoop::Impl::acquire_easy(bool endless) {
  auto& idle = endless ? idle_stream_easy_ : idle_easy_;
  if (!idle.empty()) {
    CURL* easy = idle.back();
    idle.pop_back();
    return easy;
  }
  CURL* easy = curl_easy_init();
  if (!easy) throw std::bad_alloc();
  return easy;
}

void CurlMultiLoop::Impl::release_easy(CURL* easy, bool endless) {
  auto& idle = endless ? idle_stream_easy_ : idle_easy_;
  if (idle.size() < kMaxIdleHandles) {
    idle.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
}

void CurlMultiLoop::Impl::begin(std::unique_ptr<Running> running) {
  if (running->op->cancelled()) {
    const Error cancelled(ErrorCode::cancelled, running->request.method + " " + running->request.url + " was cancelled",
                          running->request.url);
    report_done(*running->handler, &cancelled);
    return;
  }
  // A transfer without an end is an event stream: its own connection cache
  // and a small receive buffer (thousands of them may be open at once).
  const bool endless = running->request.total_timeout.count() == 0;
  try {
    running->easy = acquire_easy(endless);
    running->transfer = std::make_unique<detail::CurlTransfer>(running->easy, running->request, running->relay);
    running->transfer->setup(settings_);
    // libcurl has its own copy of the headers now (setup's list): this one,
    // credentials included, would otherwise live as long as the transfer,
    // which for an event stream is the session's life.
    running->request.headers = HttpHeaders{};
    // Set for every transfer: a reused handle keeps the share it was given.
    curl_easy_setopt(running->easy, CURLOPT_SHARE, endless ? stream_connections_ : nullptr);
    if (endless) curl_easy_setopt(running->easy, CURLOPT_BUFFERSIZE, kStreamBufferBytes);
    if (curl_multi_add_handle(multi_, running->easy) != CURLM_OK) throw std::bad_alloc();
  } catch (...) {
    if (running->easy) release_easy(running->easy, endless);
    const Error failed = as_error(std::current_exception());
    report_done(*running->handler, &failed);
    return;
  }
  const std::uint64_t id = running->id;
  CURL* easy = running->easy;
  by_id_.emplace(id, easy);
  running_.emplace(easy, std::move(running));
  ++active_;
  check_bounds(id);
}

// Cancels come in bursts (a gateway that stops closes thousands of
// sessions at once), and are ended together on the next turn, oldest first.
// libcurl finds a connection it closes by walking its host's connections
// from the oldest: ending 9,000 event streams in any other order cost a
// walk of thousands each, over a second of CPU at a gateway's stop.
void CurlMultiLoop::Impl::cancel(std::uint64_t id) {
  if (!by_id_.count(id)) {
    timers_.erase(id);  // its wait ends as aborted
    return;
  }
  cancelled_.push_back(id);
  if (reap_posted_) return;
  reap_posted_ = true;
  boost::asio::post(io_, [this] {
    reap_posted_ = false;
    std::vector<std::uint64_t> ids;
    ids.swap(cancelled_);
    end_oldest_first(std::move(ids));
  });
}

void CurlMultiLoop::Impl::end_oldest_first(std::vector<std::uint64_t> ids) {
  std::sort(ids.begin(), ids.end());  // ids grow with each start()
  for (const std::uint64_t id : ids) {
    if (auto it = by_id_.find(id); it != by_id_.end()) end(it->second, false, CURLE_OK, true, false);
  }
}

// The idle, headers and drain bounds: ends the transfer when one is over,
// else sets its deadline to the nearest. Activity only moves the idle
// bound later, so the deadline is checked when it comes, not kept exact.
void CurlMultiLoop::Impl::check_bounds(std::uint64_t id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  Running& running = *running_.at(it->second);
  long wait_ms = kNoBound;
  const auto watch = running.transfer->watch(wait_ms);
  if (watch != detail::CurlTransfer::Watch::go) {
    end(running.easy, false, CURLE_OK, false, watch == detail::CurlTransfer::Watch::idle_expired);
    return;
  }
  if (wait_ms == kNoBound) return;
  running.bound.expires_after(std::chrono::milliseconds(wait_ms));
  running.bound.async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) check_bounds(id);
  });
}

void CurlMultiLoop::Impl::fire(std::uint64_t id) {
  const auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto op = std::move(it->second.op);
  auto task = std::move(it->second.task);
  timers_.erase(it);
  if (op->cancelled()) return;
  try {
    task();
  } catch (...) {
    // A timer's task reports its own failures.
  }
}

void CurlMultiLoop::Impl::end(CURL* easy, bool done, CURLcode result, bool cancelled, bool idle_expired) {
  auto it = running_.find(easy);
  if (it == running_.end()) return;
  std::unique_ptr<Running> running = std::move(it->second);
  running_.erase(it);
  by_id_.erase(running->id);
  --active_;
  running->bound.cancel();
  curl_multi_remove_handle(multi_, easy);
  std::optional<Error> failure;
  try {
    running->transfer->finish(done, result, cancelled, idle_expired);
  } catch (...) {
    failure = as_error(std::current_exception());
  }
  running->transfer.reset();
  release_easy(easy, running->request.total_timeout.count() == 0);
  report_done(*running->handler, failure ? &*failure : nullptr);
}

CurlMultiLoop::CurlMultiLoop(CurlMultiLoopOptions options)
    : impl_(std::make_shared<Impl>(std::move(options), nullptr)) {
  impl_->launch();
}

CurlMultiLoop::CurlMultiLoop(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

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

namespace mcpauth::net::detail {

CurlLoopOnContext::CurlLoopOnContext(boost::asio::io_context& io, CurlMultiLoopOptions options)
    : loop_(new CurlMultiLoop(std::make_shared<CurlMultiLoop::Impl>(std::move(options), &io))) {}

void CurlLoopOnContext::halt(std::function<void()> halted) {
  loop_->impl_->halt(std::move(halted));
}

}  // namespace mcpauth::net::detail

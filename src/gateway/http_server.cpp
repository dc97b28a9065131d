// http::Server: the listener, the I/O threads and the stop. One connection's
// work is in http_connection.cpp.
#include "http_server.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "http_connection.hpp"
#include "mcpauth_internal/core/platform/listener_options.hpp"
#include "mcpauth_internal/platform/listener_socket.hpp"

namespace mcpauth::gateway::http {

using tcp = asio::ip::tcp;

// How long stop() lets the connections close on their own threads before it
// stops those threads (and ends what is left itself).
constexpr auto kStopGrace = std::chrono::seconds(2);

// One I/O thread: its event loop, which the connections given to it and its
// companion share, and the work guard that keeps the loop running while it
// has nothing to wait for (stopping, a handler about to write).
struct IoThread {
  asio::io_context io{1};  // one thread: a post from it needs no lock and wakes nothing
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<ThreadCompanion> companion;  // made and halted on the thread
  std::thread thread;
};

// Counts the companions still halting; shared with their callbacks, which
// may come after stop() stopped waiting for them.
struct HaltLatch {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t left = 0;
  void done() {
    std::lock_guard lock(mutex);
    --left;
    cv.notify_all();
  }
};

class Server::State {
 public:
  State(ServerOptions options, Router router)
      : core(std::move(options), std::move(router)),
        io_threads(make_io_threads(io_thread_count())),
        acceptor(io_threads.front()->io),
        retry(acceptor.get_executor()) {}
  ~State() { stop(); }

  int bind() {
    const tcp::endpoint endpoint(asio::ip::make_address(core.options.host),
                                 static_cast<std::uint16_t>(core.options.port));
    acceptor.open(endpoint.protocol());
    set_listener_options();
    acceptor.bind(endpoint);
    acceptor.listen(4096);  // a burst of connects must not wait for SYN retransmits
    return acceptor.local_endpoint().port();
  }

  // Every option stated, none left to the system's default: the port is
  // ours alone on every system (listener_options.hpp says why per system).
  void set_listener_options() {
    const auto decided = core::platform::listener_options(core::platform::current_os());
    if (const auto ec = platform::set_listener_flags(acceptor.native_handle(), decided.reuse_address,
                                                     decided.exclusive_address, decided.share_port)) {
      throw std::system_error(ec, "setting the listening socket's options");
    }
  }

  void serve() {
    accept();
    for (auto& t : io_threads) {
      t->thread = std::thread([this, t = t.get()] { run(*t); });
    }
  }

  bool offload(std::function<void()> task) { return core.handlers.submit(std::move(task)); }

  // Every connection closes now (a stream's source hears its end); handlers
  // still running finish (their answers go nowhere); then the companions
  // halt and the I/O threads end.
  void stop() {
    if (stopped) return;
    stopped = true;
    std::vector<std::weak_ptr<Connection>> open;
    for (const auto& connection : core.begin_stop()) {
      connection->close();
      open.push_back(connection);
    }
    asio::post(acceptor.get_executor(), [this] {
      beast::error_code ignored;
      acceptor.close(ignored);
      retry.cancel();
    });
    // A handler's answer is handed to the I/O threads: they must not run out
    // of work and leave before it.
    core.handlers.join();
    // The closes run on the I/O threads, each on its connection's thread;
    // they take moments (no write is waited for once a socket is closed).
    const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
    core.wait_until_all_released(deadline);
    halt_companions(deadline);
    for (auto& t : io_threads) {
      t->work.reset();
      t->io.stop();
    }
    for (auto& t : io_threads) {
      if (t->thread.joinable()) t->thread.join();
    }
    beast::error_code ignored;
    acceptor.close(ignored);  // if the I/O threads stopped before the posted close ran
    // No I/O thread runs now: a connection whose close never ran ends its stream here.
    for (const auto& weak : open) {
      if (auto connection = weak.lock()) connection->abandon();
    }
    // Their loops are no longer run (the companions' rule); they go before the loops.
    for (auto& t : io_threads) t->companion.reset();
  }

 private:
  std::size_t io_thread_count() const {
    if (core.options.io_threads > 0) return core.options.io_threads;
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 16);
  }

  static std::vector<std::unique_ptr<IoThread>> make_io_threads(std::size_t count) {
    std::vector<std::unique_ptr<IoThread>> threads;
    for (std::size_t i = 0; i < count; ++i) threads.push_back(std::make_unique<IoThread>());
    return threads;
  }

  void run(IoThread& t) {
    if (core.options.io_thread_companion) {
      try {
        t.companion = core.options.io_thread_companion(t.io);
      } catch (const std::exception&) {  // this thread serves without one (its work goes elsewhere)
      }
    }
    for (;;) {
      try {
        t.io.run();
        return;
      } catch (const std::exception&) {  // a handler's allocation failed: keep serving the others
      }
    }
  }

  // Each companion halts on its own thread, each by the deadline.
  void halt_companions(std::chrono::steady_clock::time_point deadline) {
    if (!core.options.io_thread_companion || io_threads.front()->thread.get_id() == std::thread::id()) return;
    auto latch = std::make_shared<HaltLatch>();
    latch->left = io_threads.size();
    for (auto& t : io_threads) {
      asio::post(t->io, [t = t.get(), latch] {
        if (!t->companion) return latch->done();
        t->companion->halt([latch] { latch->done(); });
      });
    }
    std::unique_lock lock(latch->mutex);
    latch->cv.wait_until(lock, deadline, [&] { return latch->left == 0; });
  }

  void accept() {
    IoThread& next = *io_threads[next_thread++ % io_threads.size()];
    acceptor.async_accept(next.io, [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors, most likely: try again shortly, not in a busy loop.
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      auto connection = std::make_shared<Connection>(core, std::move(socket));
      if (auto refusal = core.admit(connection)) {
        connection->refuse(*refusal);
      } else {
        connection->start();
      }
      accept();
    });
  }

  // Declared first, destroyed last: connections still held by the I/O
  // threads' handlers release their counts into it when they go.
  ServerCore core;
  std::vector<std::unique_ptr<IoThread>> io_threads;
  tcp::acceptor acceptor;  // on the first I/O thread; it hands each connection to the next thread in turn
  asio::steady_timer retry;
  std::size_t next_thread = 0;  // the acceptor's thread only
  bool stopped = false;
};

Server::Server(ServerOptions options, Router router)
    : state_(std::make_unique<State>(std::move(options), std::move(router))) {}

Server::~Server() = default;

int Server::bind() {
  return state_->bind();
}

void Server::serve() {
  state_->serve();
}

void Server::stop() {
  state_->stop();
}

bool Server::offload(std::function<void()> task) {
  return state_->offload(std::move(task));
}

}  // namespace mcpauth::gateway::http

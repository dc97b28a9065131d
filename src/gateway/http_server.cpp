// http::Server: the listener, the I/O threads and the stop. One connection's
// work is in http_connection.cpp.
#include "http_server.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
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

class Server::State {
 public:
  State(ServerOptions options, Router router)
      : core(std::move(options), std::move(router)),
        io(static_cast<int>(io_thread_count())),
        work(io.get_executor()),
        acceptor(asio::make_strand(io)),
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
    for (std::size_t i = 0; i < io_thread_count(); ++i) {
      threads.emplace_back([this] { run(); });
    }
  }

  bool offload(std::function<void()> task) { return core.handlers.submit(std::move(task)); }

  // Every connection closes now (a stream's source hears its end); handlers
  // still running finish (their answers go nowhere); then the I/O threads end.
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
    work.reset();
    // The closes run on the I/O threads, each on its connection's strand;
    // they take moments (no write is waited for once a socket is closed).
    core.wait_until_all_released(std::chrono::steady_clock::now() + kStopGrace);
    io.stop();
    for (auto& thread : threads) thread.join();
    beast::error_code ignored;
    acceptor.close(ignored);  // if the I/O threads stopped before the posted close ran
    // No strand runs now: a connection whose close never ran ends its stream here.
    for (const auto& weak : open) {
      if (auto connection = weak.lock()) connection->abandon();
    }
  }

 private:
  std::size_t io_thread_count() const {
    if (core.options.io_threads > 0) return core.options.io_threads;
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 16);
  }

  void run() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception&) {  // a handler's allocation failed: keep serving the others
      }
    }
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
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
  // context's handlers release their counts into it when it goes.
  ServerCore core;
  asio::io_context io;
  // Keeps io.run() going when no socket has an operation pending (stopping,
  // a handler about to write): until stop() has joined the handlers.
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;  // on a strand, like every connection
  asio::steady_timer retry;
  std::vector<std::thread> threads;
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

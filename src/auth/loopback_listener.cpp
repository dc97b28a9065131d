#include "loopback_listener.hpp"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/core/platform/listener_options.hpp"
#include "mcpauth_internal/platform/listener_socket.hpp"

namespace mcpauth::auth::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The redirect carries code, state and iss: a few hundred bytes. A request
// head over this bound gets 431; a GET has no body worth reading.
constexpr std::uint32_t kMaxHeadBytes = 16 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 1024;
// A browser's speculative connection that never sends a request, or a client
// that stops reading, is dropped after this long.
constexpr auto kReadTimeout = std::chrono::seconds(5);
constexpr auto kWriteTimeout = std::chrono::seconds(5);
// More than a browser ever opens to one host; beyond it, a connection is closed at once.
constexpr std::size_t kMaxConnections = 64;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// After the answer: what is still read (and dropped) while waiting for the
// client to close, so the client of a refused request sees the answer rather
// than a reset.
constexpr std::size_t kMaxDrainBytes = 64 * 1024;
constexpr auto kDrainTimeout = std::chrono::seconds(2);

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

}  // namespace

class LoopbackListener::State {
 public:
  // What a DeferredReply reaches the listener through: cleared (under its
  // mutex) before the listener winds down, so a late reply posts nothing to
  // an I/O context that is going away.
  struct ReplyGate {
    std::mutex mutex;
    State* state = nullptr;
  };

  struct Acceptor {
    explicit Acceptor(asio::io_context& io) : socket(io), retry(io) {}
    tcp::acceptor socket;
    asio::steady_timer retry;
  };

  State(std::string callback_path, CallbackHandler handler)
      : path(std::move(callback_path)), on_callback(std::move(handler)) {
    gate->state = this;
  }

  // Winds down on the I/O thread and waits for it (bounded by the
  // connections' own timeouts): whoever asked nothing, or still waits for a
  // held page, is reset at once; an answered client gets to close first.
  ~State() {
    {
      std::lock_guard lock(gate->mutex);
      gate->state = nullptr;
    }
    if (!thread.joinable()) return;
    asio::post(io, [this] { wind_down(); });
    thread.join();
  }

  bool listen(int wanted) {
    if (!open(v4.socket, tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<std::uint16_t>(wanted)))) {
      return false;
    }
    port = v4.socket.local_endpoint().port();
    // ::1 as well, on the same port, when the machine has IPv6 loopback.
    if (open(v6.socket, tcp::endpoint(asio::ip::address_v6::loopback(), static_cast<std::uint16_t>(port)))) {
      accept(v6);
    }
    accept(v4);
    thread = std::thread([this] { run(); });
    return true;
  }

  CallbackPage answer(const bhttp::request<bhttp::string_body>& request, DeferredReply later) const {
    const beast::string_view target = request.target();
    if (request.method() != bhttp::verb::get || target.empty() || target.front() != '/') return {404, {}, false, {}};
    try {
      const core::Url url = core::parse_url("http://127.0.0.1" + std::string(target));
      if (url.path != path) return {404, {}, false, {}};
      return on_callback(core::oauth::parse_form(url.query), std::move(later));
    } catch (const Error&) {
      return {400, {}, false, {}};  // a target the URL parser refuses, or a query over the form bounds
    }
  }

  const std::string path;
  const CallbackHandler on_callback;
  const std::shared_ptr<ReplyGate> gate = std::make_shared<ReplyGate>();
  std::size_t connections = 0;  // touched on the I/O thread only
  int port = 0;
  // After what the connections use (they may be destroyed with it), before the sockets.
  asio::io_context io{1};
  Acceptor v4{io};
  Acceptor v6{io};
  std::thread thread;

 private:
  static bool open(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    // The gateway's options (listener_options.hpp): a port in TIME_WAIT may be
    // bound again, one in use never, by no other socket on any system.
    const auto decided = core::platform::listener_options(core::platform::current_os());
    const bool options_set = !ec && !platform::set_listener_flags(acceptor.native_handle(), decided.reuse_address,
                                                                  decided.exclusive_address, decided.share_port);
    if (options_set) acceptor.bind(endpoint, ec);
    if (options_set && !ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!options_set || ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
      return false;
    }
    return true;
  }

  class Connection;
  void accept(Acceptor& acceptor);
  void wind_down();

  std::set<Connection*> open_;  // I/O thread only
  bool winding_down_ = false;   // I/O thread only

  void run() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception&) {  // an allocation failed in one connection: keep serving
      }
    }
  }
};

// One request, one answer, then the connection closes.
class LoopbackListener::State::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(State& state, tcp::socket socket)
      : state_(state), stream_(std::move(socket)), hold_(stream_.get_executor()) {
    ++state_.connections;
    state_.open_.insert(this);
  }
  ~Connection() {
    --state_.connections;
    state_.open_.erase(this);
  }

  // The listener is going away. Any close this side makes from now on is a
  // reset, so no TIME_WAIT is left on the port for another program (or the
  // next consent) to trip on; a connection that asked nothing is closed now,
  // an answered one still waits (kDrainTimeout at most) for its client to close.
  void wind_down() {
    beast::error_code ignored;
    stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    hold_.cancel();
    if (!answered_) stream_.close();
  }

  void start() {
    parser_.header_limit(kMaxHeadBytes);
    parser_.body_limit(kMaxBodyBytes);
    stream_.expires_after(kReadTimeout);
    bhttp::async_read(stream_, buffer_, parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(const beast::error_code& ec) {
    if (ec == bhttp::error::header_limit) return reply({431, {}, false, {}});
    if (ec == bhttp::error::body_limit) return reply({413, {}, false, {}});
    if (is_parse_error(ec)) return reply({400, {}, false, {}});
    if (ec) return;  // timed out or closed: nobody to answer
    const CallbackPage page = state_.answer(parser_.get(), deferred_reply());
    if (!page.held) return reply(page);
    // The wait keeps this connection alive until the owner's answer, or
    // until the limit gives the browser the held page instead.
    hold_.expires_after(kHeldPageLimit);
    hold_.async_wait([self = shared_from_this(), page](beast::error_code wait_ec) {
      if (!wait_ec && !self->answered_) self->reply(page);
    });
  }

  DeferredReply deferred_reply() {
    return [gate = state_.gate, weak = weak_from_this()](const CallbackPage& page) {
      std::lock_guard lock(gate->mutex);
      if (!gate->state) return;
      asio::post(gate->state->io, [weak, page] {
        const auto self = weak.lock();
        if (!self || self->answered_ || !self->stream_.socket().is_open()) return;
        self->hold_.cancel();
        self->reply(page);
      });
    };
  }

  void reply(const CallbackPage& page) {
    answered_ = true;
    response_.version(11);
    response_.result(static_cast<unsigned>(page.status));
    if (!page.html.empty()) response_.set(bhttp::field::content_type, "text/html; charset=utf-8");
    if (page.no_store) response_.set(bhttp::field::cache_control, "no-store");
    if (!page.location.empty()) response_.set(bhttp::field::location, page.location);
    response_.body() = page.html;
    response_.keep_alive(false);
    response_.prepare_payload();
    stream_.expires_after(kWriteTimeout);
    bhttp::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      // The client closes first (the answer says Connection: close), so the
      // TIME_WAIT is on its side, not on this port: a program binding the
      // port right after the consent (or the next consent) finds it free.
      self->stream_.expires_after(kDrainTimeout);
      self->drain();
    });
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (!ec && self->drained_ < kMaxDrainBytes) self->drain();
                            });
  }

  State& state_;
  beast::tcp_stream stream_;
  asio::steady_timer hold_;
  beast::flat_buffer buffer_;
  bhttp::request_parser<bhttp::string_body> parser_;
  bhttp::response<bhttp::string_body> response_;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_ = 0;
  bool answered_ = false;
};

void LoopbackListener::State::wind_down() {
  winding_down_ = true;
  beast::error_code ignored;
  for (Acceptor* acceptor : {&v4, &v6}) {
    acceptor->socket.close(ignored);
    acceptor->retry.cancel();
  }
  for (Connection* connection : open_) connection->wind_down();
}

void LoopbackListener::State::accept(Acceptor& acceptor) {
  acceptor.socket.async_accept(io, [this, &acceptor](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (winding_down_) {
      beast::error_code ignored;
      socket.set_option(asio::socket_base::linger(true, 0), ignored);
      return;  // accepted just before the wind-down: reset with the rest
    }
    if (ec) {
      // Out of descriptors, most likely: try again shortly, not in a busy loop.
      acceptor.retry.expires_after(kAcceptRetryDelay);
      acceptor.retry.async_wait([this, &acceptor](beast::error_code wait_ec) {
        if (!wait_ec) accept(acceptor);
      });
      return;
    }
    if (connections < kMaxConnections) std::make_shared<Connection>(*this, std::move(socket))->start();
    accept(acceptor);
  });
}

LoopbackListener::LoopbackListener(std::string path, CallbackHandler on_callback)
    : state_(std::make_unique<State>(std::move(path), std::move(on_callback))) {}

LoopbackListener::~LoopbackListener() = default;

bool LoopbackListener::listen(int port) {
  return state_->listen(port);
}

int LoopbackListener::port() const {
  return state_->port;
}

}  // namespace mcpauth::auth::detail

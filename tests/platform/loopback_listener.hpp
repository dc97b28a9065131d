// A listening socket on loopback (127.0.0.1, or ::1 only) for servers in a
// test process, written with Boost.Asio so that it needs no system header:
// connections are accepted on a thread of its own and each is handed to
// `on_accept` there (which serves it, or hands it to a thread). Declare it
// after what `on_accept` uses (it accepts at once), and stop() it before
// joining threads it handed sockets to.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace mcpauth::test_platform {

class LoopbackListener {
 public:
  using tcp = boost::asio::ip::tcp;

  explicit LoopbackListener(std::function<void(tcp::socket)> on_accept, bool ipv6 = false, int backlog = 512)
      : on_accept_(std::move(on_accept)) {
    const auto address = ipv6 ? boost::asio::ip::address(boost::asio::ip::address_v6::loopback())
                              : boost::asio::ip::address(boost::asio::ip::address_v4::loopback());
    boost::system::error_code ec;
    listener_.open(ipv6 ? tcp::v6() : tcp::v4(), ec);
    if (!ec && ipv6) listener_.set_option(boost::asio::ip::v6_only(true), ec);
    if (!ec) listener_.bind({address, 0}, ec);
    if (!ec) listener_.listen(backlog, ec);
    if (ec) return;  // listening() says so
    port_ = listener_.local_endpoint(ec).port();
    accept_next();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~LoopbackListener() { stop(); }
  // Stops accepting (waits for the connection being handed over). The
  // sockets handed over stay usable until this object is destroyed.
  void stop() {
    if (!thread_.joinable()) return;
    // The listener belongs to the accepting thread: close it there, which
    // ends the accept loop and with it the thread.
    boost::asio::post(io_, [this] {
      boost::system::error_code ignored;
      listener_.close(ignored);
    });
    thread_.join();
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  bool listening() const { return port_ != 0; }
  int port() const { return port_; }

 private:
  void accept_next() {
    listener_.async_accept([this](const boost::system::error_code& ec, tcp::socket connection) {
      if (ec) return;  // closed
      on_accept_(std::move(connection));
      accept_next();
    });
  }

  std::function<void(tcp::socket)> on_accept_;
  boost::asio::io_context io_;
  tcp::acceptor listener_{io_};
  int port_ = 0;
  std::thread thread_;
};

// What a client sent up to and with the blank line that ends a request head
// (or all it sent before the connection ended: `ec` says so).
inline std::string read_request_head(boost::asio::ip::tcp::socket& client, boost::system::error_code& ec) {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const std::size_t n = client.read_some(boost::asio::buffer(buffer), ec);
    if (ec) break;
    head.append(buffer, n);
  }
  return head;
}

// Holds the connection until the client ends it (what it sends is ignored).
inline void hold_until_client_leaves(boost::asio::ip::tcp::socket& client) {
  char buffer[4096];
  boost::system::error_code ec;
  while (!ec) client.read_some(boost::asio::buffer(buffer), ec);
}

}  // namespace mcpauth::test_platform

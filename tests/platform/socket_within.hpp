// Blocking socket calls with a time bound, for test clients written with
// Boost.Asio. Asio's blocking calls wait forever (they poll again after a
// receive timeout set with SO_RCVTIMEO), so the bound is an asynchronous call
// run on the socket's io_context for at most `timeout`, then cancelled.
// The io_context must have nothing else pending (one client per io_context,
// or clients used one call at a time on one thread).
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace mcpauth::test_platform {

namespace detail {
// Runs the socket's pending call until it ends or `timeout` passes; then it
// is cancelled and has ended when this returns. False on timeout.
inline bool run_within(boost::asio::ip::tcp::socket& socket, const bool& done,
                       std::chrono::steady_clock::duration timeout) {
  auto& io = static_cast<boost::asio::io_context&>(socket.get_executor().context());
  io.restart();
  io.run_for(timeout);
  if (done) return true;
  socket.cancel();
  io.restart();
  io.run();
  return false;
}
}  // namespace detail

// Some bytes, appended to `text`. The read's error: eof when the peer ended
// the connection, timed_out when `timeout` passed first.
inline boost::system::error_code read_some_within(boost::asio::ip::tcp::socket& socket, std::string& text,
                                                  std::chrono::steady_clock::duration timeout) {
  char buffer[4096];
  boost::system::error_code result;
  std::size_t got = 0;
  bool done = false;
  socket.async_read_some(boost::asio::buffer(buffer), [&](const boost::system::error_code& ec, std::size_t n) {
    result = ec;
    got = n;
    done = true;
  });
  const bool in_time = detail::run_within(socket, done, timeout);
  text.append(buffer, got);
  return in_time ? result : boost::asio::error::timed_out;
}

// All of `bytes` (Asio sends with MSG_NOSIGNAL: a peer that left is an error
// here, never SIGPIPE), or the error; timed_out when `timeout` passed first.
inline boost::system::error_code write_within(boost::asio::ip::tcp::socket& socket, std::string_view bytes,
                                              std::chrono::steady_clock::duration timeout) {
  boost::system::error_code result;
  bool done = false;
  boost::asio::async_write(socket, boost::asio::buffer(bytes.data(), bytes.size()),
                           [&](const boost::system::error_code& ec, std::size_t) {
                             result = ec;
                             done = true;
                           });
  return detail::run_within(socket, done, timeout) ? result : boost::asio::error::timed_out;
}

}  // namespace mcpauth::test_platform

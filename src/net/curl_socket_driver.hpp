// Drives a libcurl multi handle from a Boost.Asio io_context with
// curl_multi_socket_action: libcurl says which sockets it needs watched
// (CURLMOPT_SOCKETFUNCTION) and when it next needs time
// (CURLMOPT_TIMERFUNCTION); the io_context waits for exactly those, and each
// wake-up hands libcurl the one socket (or the timeout) that is ready. So a
// wake-up costs what is active, not every transfer that is open, which is
// what curl_multi_poll cost (it polls every socket each time).
//
// The descriptors are libcurl's: they are watched through a
// posix::stream_descriptor that is released, never closed, when libcurl
// says it is done with the socket (CURL_POLL_REMOVE comes before libcurl
// closes it). Asio's epoll reactor is edge-triggered, so before each wait
// the socket is asked (poll with no timeout) whether it is ready already: a
// readiness that came while nothing waited (libcurl wanted only writing, or
// stopped reading with data left) is not lost.
//
// Loop thread only: every call, and every callback, runs on the thread that
// runs the io_context. Internal to net/.
#pragma once

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace mcpauth::net::detail {

class CurlSocketDriver {
 public:
  // `on_done` gets each finished transfer (CURLMSG_DONE, or a socket that
  // could not be watched), after libcurl's call returned, so it may remove
  // the handle.
  using Done = std::function<void(CURL* easy, CURLcode result)>;

  CurlSocketDriver(boost::asio::io_context& io, CURLM* multi, Done on_done);
  // Unhooks the callbacks from the multi handle and lets go of every socket.
  ~CurlSocketDriver();
  CurlSocketDriver(const CurlSocketDriver&) = delete;
  CurlSocketDriver& operator=(const CurlSocketDriver&) = delete;

  // Stops watching: later requests from libcurl are ignored, every socket is
  // let go (not closed) and the timeout is dropped.
  void stop();

  // Sockets watched now, for tests.
  std::size_t watched() const noexcept { return watches_.size(); }

 private:
  struct Watch;
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  using Clock = boost::asio::steady_timer::clock_type;
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void arm_timeout(Clock::time_point at);
  void watch(CURL* easy, curl_socket_t fd, int what);
  void arm(const std::shared_ptr<Watch>& w, int direction);
  void act(curl_socket_t fd, int events);

  boost::asio::io_context& io_;
  CURLM* multi_;
  Done on_done_;
  boost::asio::steady_timer timeout_;
  std::optional<Clock::time_point> wanted_;  // libcurl's next timeout, if it has one
  std::optional<Clock::time_point> armed_;   // what timeout_ waits for: never later than wanted_
  std::uint64_t timer_generation_ = 0;       // each of libcurl's timer calls supersedes the last
  std::unordered_map<curl_socket_t, std::shared_ptr<Watch>> watches_;
  std::vector<CURL*> unwatchable_;  // transfers whose socket the reactor refused
  bool stopped_ = false;
};

}  // namespace mcpauth::net::detail

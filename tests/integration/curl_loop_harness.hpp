// What the CurlMultiLoop tests share: a tiny HTTP server in the test process
// (a thread per connection) and a handler that records what the loop
// reports, and on which threads.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/write.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/net/async_http.hpp"
#include "platform/loopback_listener.hpp"

namespace mcpauth::curl_loop_test {

// A body larger than the socket buffers and than libcurl reads in one go.
inline const std::string& big_body() {
  static const std::string body = [] {
    std::string b;
    for (std::size_t i = 0; b.size() < 4 * 1024 * 1024; ++i) b += std::to_string(i) + ",";
    return b;
  }();
  return body;
}

// Routes: `/stream` sends headers and three events, then holds the
// connection until release(); `/missing` answers 404 with a header; `/big`
// sends big_body(); `/redirect` answers 302 to `/missing` and closes (so a
// client follows it on a new connection); `/silent` never answers; anything
// else sends headers and holds until the client leaves.
class TinyServer {
 public:
  TinyServer() { EXPECT_TRUE(listener_.listening()); }
  ~TinyServer() {
    release();
    listener_.stop();
    for (auto& t : connections_) t.join();
  }
  TinyServer(const TinyServer&) = delete;
  TinyServer& operator=(const TinyServer&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(listener_.port()) + path;
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  // Connections accepted so far.
  std::size_t connections() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }

 private:
  using tcp = test_platform::LoopbackListener::tcp;

  // Each connection is served on its own thread with blocking calls.
  void accept(tcp::socket c) {
    {
      std::lock_guard lock(mutex_);
      ++accepted_;
    }
    connections_.emplace_back([this, c = std::move(c)]() mutable { serve(c); });
  }
  void serve(tcp::socket& c) {
    boost::system::error_code ec;
    const std::string head = test_platform::read_request_head(c, ec);
    // Asio sends with MSG_NOSIGNAL: a client that left is an error, not SIGPIPE.
    auto send_all = [&c](const std::string& s) {
      boost::system::error_code ignored;
      boost::asio::write(c, boost::asio::buffer(s), ignored);
    };
    if (head.rfind("GET /stream", 0) == 0) {
      send_all("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      for (int i = 1; i <= 3; ++i) send_all("data: " + std::to_string(i) + "\n\n");
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return released_; });
    } else if (head.rfind("GET /missing", 0) == 0) {
      send_all("HTTP/1.1 404 Not Found\r\nX-Test: yes\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngone");
    } else if (head.rfind("GET /big", 0) == 0) {
      send_all("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big_body().size()) +
               "\r\nConnection: close\r\n\r\n" + big_body());
    } else if (head.rfind("GET /redirect", 0) == 0) {
      send_all("HTTP/1.1 302 Found\r\nLocation: /missing\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (head.rfind("GET /silent", 0) == 0) {
      test_platform::hold_until_client_leaves(c);
    } else {
      send_all("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      test_platform::hold_until_client_leaves(c);
    }
    c.close(ec);
  }

  std::vector<std::thread> connections_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
  std::size_t accepted_ = 0;
  // Last: it accepts at once, into what is above.
  test_platform::LoopbackListener listener_{[this](tcp::socket c) { accept(std::move(c)); }};
};

// Records what the loop reports, and on which threads. With `stop_on_body`
// it wants no body (on_body returns false); `when_done` runs on the loop
// thread after on_done was recorded.
class Recorder final : public net::AsyncStreamHandler {
 public:
  bool on_response_start(int s, const net::HttpHeaders& h) override {
    std::lock_guard lock(mutex);
    status = s;
    headers = h;
    threads.insert(std::this_thread::get_id());
    cv.notify_all();
    return true;
  }
  bool on_body(std::string_view chunk) override {
    std::lock_guard lock(mutex);
    body.append(chunk);
    threads.insert(std::this_thread::get_id());
    cv.notify_all();
    return !stop_on_body;
  }
  void on_done(const Error* e) override {
    std::function<void()> then;
    {
      std::lock_guard lock(mutex);
      done = true;
      if (e) error = *e;
      threads.insert(std::this_thread::get_id());
      then = std::move(when_done);
      cv.notify_all();
    }
    if (then) then();
  }
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), pred);
  }
  bool wait_done() {
    return wait([this] { return done; });
  }

  std::mutex mutex;
  std::condition_variable cv;
  int status = 0;
  net::HttpHeaders headers;
  std::string body;
  bool done = false;
  std::optional<Error> error;
  std::set<std::thread::id> threads;
  bool stop_on_body = false;
  std::function<void()> when_done;
};

inline net::HttpRequest get(const std::string& url) {
  net::HttpRequest r;
  r.url = url;
  r.total_timeout = std::chrono::milliseconds(0);
  return r;
}

}  // namespace mcpauth::curl_loop_test

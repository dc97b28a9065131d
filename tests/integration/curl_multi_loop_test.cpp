// net::CurlMultiLoop against a tiny HTTP server in this process: many
// streams open at once on its one thread, status and headers and chunks as
// they arrive, cancel from another thread, timers, typed errors, the
// address rules it shares with CurlHttpClient, and the destructor ending
// what still runs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/net/curl_multi_loop.hpp"

namespace mcpauth {
namespace {

// Answers each connection on a thread of its own: `/stream` sends headers
// and three events, then holds the connection until release(); `/missing`
// answers 404 with a header; anything else holds until the client leaves.
class TinyServer {
 public:
  TinyServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 256), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TinyServer() {
    release();
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    for (auto& t : connections_) t.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  void accept_loop() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      connections_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    auto send_all = [c](const std::string& s) { ::send(c, s.data(), s.size(), MSG_NOSIGNAL); };
    if (head.rfind("GET /stream", 0) == 0) {
      send_all("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      for (int i = 1; i <= 3; ++i) send_all("data: " + std::to_string(i) + "\n\n");
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return released_; });
    } else if (head.rfind("GET /missing", 0) == 0) {
      send_all("HTTP/1.1 404 Not Found\r\nX-Test: yes\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngone");
    } else {
      send_all("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      while (::recv(c, buf, sizeof buf, 0) > 0) {
      }
    }
    ::close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
};

// Records what the loop reports, and on which threads.
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
    return true;
  }
  void on_done(const Error* e) override {
    std::lock_guard lock(mutex);
    done = true;
    if (e) error = *e;
    threads.insert(std::this_thread::get_id());
    cv.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), pred);
  }

  std::mutex mutex;
  std::condition_variable cv;
  int status = 0;
  net::HttpHeaders headers;
  std::string body;
  bool done = false;
  std::optional<Error> error;
  std::set<std::thread::id> threads;
};

net::HttpRequest get(const std::string& url) {
  net::HttpRequest r;
  r.url = url;
  r.total_timeout = std::chrono::milliseconds(0);
  return r;
}

TEST(CurlMultiLoop, ManyStreamsAreOpenAtOnceOnItsOneThread) {
  TinyServer server;
  net::CurlMultiLoop loop;
  constexpr int kStreams = 50;
  std::vector<std::shared_ptr<Recorder>> recorders;
  for (int i = 0; i < kStreams; ++i) {
    recorders.push_back(std::make_shared<Recorder>());
    loop.start(get(server.url("/stream")), recorders.back());
  }
  // Every stream has its three events while the server still holds them all open.
  for (auto& r : recorders) {
    ASSERT_TRUE(r->wait([&] { return r->body == "data: 1\n\ndata: 2\n\ndata: 3\n\n"; })) << r->body;
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->done);
  }
  EXPECT_EQ(loop.active_transfers(), static_cast<std::size_t>(kStreams));
  server.release();
  std::set<std::thread::id> threads;
  for (auto& r : recorders) {
    ASSERT_TRUE(r->wait([&] { return r->done; }));
    EXPECT_FALSE(r->error) << r->error->what();
    threads.insert(r->threads.begin(), r->threads.end());
  }
  EXPECT_EQ(threads.size(), 1u);  // one loop thread ran every callback
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST(CurlMultiLoop, StatusAndHeadersAndBodyOfAnErrorAnswer) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  loop.start(get(server.url("/missing")), r);
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  EXPECT_FALSE(r->error);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->headers.get("x-test"), "yes");
  EXPECT_EQ(r->body, "gone");
}

TEST(CurlMultiLoop, CancelFromAnotherThreadEndsTheStreamWithCancelled) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  auto op = loop.start(get(server.url("/hold")), r);
  ASSERT_TRUE(r->wait([&] { return r->status == 200; }));
  op->cancel();
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::cancelled);
}

TEST(CurlMultiLoop, RefusedConnectionIsATypedErrorMarkedNeverSent) {
  int port = 0;
  {
    TinyServer closed;  // a port that was just free
    port = std::stoi(closed.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  loop.start(get("http://127.0.0.1:" + std::to_string(port) + "/"), r);
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::connection);
  EXPECT_TRUE(r->error->never_sent());
}

TEST(CurlMultiLoop, AddressRulesAreCheckedAsByCurlHttpClient) {
  TinyServer server;
  net::CurlMultiLoop loop;
  auto r = std::make_shared<Recorder>();
  auto request = get(server.url("/missing"));
  request.addresses.loopback = false;
  loop.start(request, r);
  ASSERT_TRUE(r->wait([&] { return r->done; }));
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::insecure_url);
}

TEST(CurlMultiLoop, TimersFireOnTheLoopByDeadlineAndBlockingTasksRunOffIt) {
  net::CurlMultiLoop loop;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> fired;
  std::thread::id timer_thread, blocking_thread;
  auto record = [&](std::string name) {
    std::lock_guard lock(mutex);
    fired.push_back(std::move(name));
    cv.notify_all();
  };
  // Deadlines, not the order of the calls, decide: "soon" is due first
  // however long the second call takes.
  loop.after(std::chrono::milliseconds(0), [&] { record("soon"); });
  loop.after(std::chrono::milliseconds(40), [&] {
    timer_thread = std::this_thread::get_id();
    record("late");
  });
  loop.run_blocking([&] {
    blocking_thread = std::this_thread::get_id();
    record("blocking");
  });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] {
    return std::find(fired.begin(), fired.end(), "late") != fired.end() &&
           std::find(fired.begin(), fired.end(), "blocking") != fired.end();
  }));
  const auto soon = std::find(fired.begin(), fired.end(), "soon");
  ASSERT_NE(soon, fired.end());
  EXPECT_LT(soon - fired.begin(), std::find(fired.begin(), fired.end(), "late") - fired.begin());
  EXPECT_NE(timer_thread, blocking_thread);
  EXPECT_NE(timer_thread, std::this_thread::get_id());
}

TEST(CurlMultiLoop, DestructorEndsWhatStillRunsWithCancelled) {
  TinyServer server;
  auto r = std::make_shared<Recorder>();
  {
    net::CurlMultiLoop loop;
    loop.start(get(server.url("/hold")), r);
    ASSERT_TRUE(r->wait([&] { return r->status == 200; }));
    loop.after(std::chrono::hours(1), [] { ADD_FAILURE() << "a dropped timer fired"; });
  }
  std::lock_guard lock(r->mutex);
  EXPECT_TRUE(r->done);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), ErrorCode::cancelled);
}

}  // namespace
}  // namespace mcpauth

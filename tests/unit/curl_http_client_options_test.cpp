// CurlHttpClient's options and per-request bounds that mcp-remote's flags
// map to: no cookie jar (--disable-cookies), --ipv4, and
// HttpRequest::headers_timeout (--headers-timeout), against a raw socket
// server on loopback that records each request head.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/error.hpp"
#include "mcpauth/net/curl_http_client.hpp"

namespace mcpauth::net {
namespace {

// Accepts connections one at a time; for each reads the request head and
// writes `answer` (nothing when `answer` is empty: the client waits), then
// closes. Stops when destroyed.
class RawServer {
 public:
  explicit RawServer(std::string answer, bool ipv6 = false) : answer_(std::move(answer)) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ipv6) {
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      sockaddr_in6 address{};
      address.sin6_family = AF_INET6;
      address.sin6_addr = in6addr_loopback;
      bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      socklen_t size = sizeof address;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
      port_ = ntohs(address.sin6_port);
    } else {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      socklen_t size = sizeof address;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
      port_ = ntohs(address.sin_port);
    }
    bound_ = bound_ && ::listen(fd_, 8) == 0;
    if (bound_) thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool bound() const { return bound_; }
  int port() const { return port_; }
  std::vector<std::string> heads() {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve() {
    while (!stopping_) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string head;
      char buffer[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        heads_.push_back(head);
      }
      if (answer_.empty()) {
        // No answer: hold the connection until the client gives up (it closes its end).
        while (::read(client, buffer, sizeof buffer) > 0) {
        }
      } else {
        [[maybe_unused]] const auto written = ::write(client, answer_.data(), answer_.size());
      }
      ::close(client);
    }
  }

  std::string answer_;
  int fd_ = -1;
  int port_ = 0;
  bool bound_ = false;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

const std::string kSetsCookie =
    "HTTP/1.1 200 OK\r\nSet-Cookie: AWSALB=node-7; Path=/\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

HttpRequest get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.total_timeout = std::chrono::seconds(30);
  return request;
}

std::string url_of(const RawServer& server, const std::string& host = "127.0.0.1") {
  return "http://" + host + ":" + std::to_string(server.port()) + "/mcp";
}

// No cookie jar: a cookie a server sets is neither kept nor sent back
// (--disable-cookies is what the commands do).
TEST(CurlHttpClientOptions, NoCookieIsKeptOrSent) {
  RawServer server(kSetsCookie);
  ASSERT_TRUE(server.bound());
  CurlHttpClient http{CurlHttpClientOptions{}};
  EXPECT_EQ(http.send(get(url_of(server))).status, 200);
  EXPECT_EQ(http.send(get(url_of(server))).status, 200);
  for (const auto& head : server.heads()) EXPECT_EQ(head.find("Cookie:"), std::string::npos) << head;
}

TEST(CurlHttpClientOptions, AHeadersTimeoutEndsAWaitForAnAnswerThatDoesNotStart) {
  RawServer server("");  // reads the request, never answers
  ASSERT_TRUE(server.bound());
  CurlHttpClient http;
  HttpRequest request = get(url_of(server));
  request.headers_timeout = std::chrono::milliseconds(200);  // total_timeout (30 s) would say something else
  try {
    http.send(request);
    FAIL() << "answered";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::timeout);
    EXPECT_NE(std::string(e.what()).find("no response headers within 200 ms"), std::string::npos) << e.what();
  }
}

TEST(CurlHttpClientOptions, Ipv4OnlyNeverTriesAnIpv6Address) {
  RawServer server(kSetsCookie, /*ipv6=*/true);
  if (!server.bound()) GTEST_SKIP() << "no IPv6 loopback here";
  CurlHttpClient any;
  EXPECT_EQ(any.send(get(url_of(server, "[::1]"))).status, 200);  // the server is there over IPv6
  CurlHttpClientOptions options;
  options.ipv4_only = true;
  CurlHttpClient ipv4(options);
  try {
    ipv4.send(get(url_of(server, "[::1]")));
    FAIL() << "an IPv6 address was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
  }
}

}  // namespace
}  // namespace mcpauth::net

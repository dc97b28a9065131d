// CurlHttpClient's options and per-request bounds that mcp-remote's flags
// map to: the cookie jar (--disable-cookies turns it off), --ipv4, and
// HttpRequest::headers_timeout (--headers-timeout), against a raw socket
// server on loopback that records each request head.
#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/error.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "platform/loopback_listener.hpp"

namespace mcpauth::net {
namespace {

// Accepts connections one at a time; for each reads the request head and
// writes `answer` (nothing when `answer` is empty: the client waits), then
// closes. Stops when destroyed.
class RawServer {
 public:
  using tcp = test_platform::LoopbackListener::tcp;

  explicit RawServer(std::string answer, bool ipv6 = false)
      : answer_(std::move(answer)), listener_([this](tcp::socket client) { serve(client); }, ipv6) {}

  bool bound() const { return listener_.listening(); }
  int port() const { return listener_.port(); }
  std::vector<std::string> heads() {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve(tcp::socket& client) {
    boost::system::error_code ec;
    const std::string head = test_platform::read_request_head(client, ec);
    {
      std::lock_guard lock(mutex_);
      heads_.push_back(head);
    }
    if (answer_.empty()) {
      // No answer: hold the connection until the client gives up (it closes its end).
      test_platform::hold_until_client_leaves(client);
    } else {
      boost::asio::write(client, boost::asio::buffer(answer_), ec);
    }
    client.close(ec);
  }

  std::string answer_;
  std::mutex mutex_;
  std::vector<std::string> heads_;
  test_platform::LoopbackListener listener_;  // last: it accepts at once
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

TEST(CurlHttpClientOptions, WithCookiesAServersCookieGoesBackOnLaterRequests) {
  RawServer server(kSetsCookie);
  ASSERT_TRUE(server.bound());
  CurlHttpClientOptions options;
  options.cookies = true;
  CurlHttpClient http(options);
  // Pooled handles are reset and reused (libcurl 7.88 leaked a list on
  // each reuse; LeakSanitizer in CI watches this loop).
  for (int i = 0; i < 4; ++i) EXPECT_EQ(http.send(get(url_of(server))).status, 200);
  const auto heads = server.heads();
  ASSERT_EQ(heads.size(), 4u);
  EXPECT_EQ(heads[0].find("Cookie:"), std::string::npos) << heads[0];
  for (std::size_t i = 1; i < heads.size(); ++i) {
    EXPECT_NE(heads[i].find("\r\nCookie: AWSALB=node-7\r\n"), std::string::npos) << heads[i];
  }
}

TEST(CurlHttpClientOptions, WithoutCookiesNoneIsKeptOrSent) {
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

// The gateway's webhook: its signature scheme (a known HMAC-SHA256 vector),
// its body, its URL rule, and the sender's retries and bounded queue, with
// a scripted HttpClient.
#include "webhook.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "mcpauth/error.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::gateway {
namespace {

using test_support::ScriptedHttpClient;

TEST(GatewayWebhook, SignatureIsHmacSha256OfTimestampDotBody) {
  // python3: hmac.new(b"0123456789abcdef", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
  EXPECT_EQ(webhook_signature("0123456789abcdef", "1700000000", R"({"a":1})"),
            "sha256=9eb18f493f8ec135d9eb2dad817c369bb4e9cbfa818657897a7437c1cd8c3a23");
  EXPECT_NE(webhook_signature("0123456789abcdeX", "1700000000", R"({"a":1})"),
            webhook_signature("0123456789abcdef", "1700000000", R"({"a":1})"));
  EXPECT_NE(webhook_signature("0123456789abcdef", "1700000001", R"({"a":1})"),
            webhook_signature("0123456789abcdef", "1700000000", R"({"a":1})"));
}

TEST(GatewayWebhook, BodyAndTime) {
  EXPECT_EQ(rfc3339_utc(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))),
            "2023-11-14T22:13:20Z");
  EXPECT_EQ(rfc3339_utc(std::chrono::system_clock::time_point(std::chrono::seconds(0))), "1970-01-01T00:00:00Z");
  WebhookEvent e;
  e.event = "failed";
  e.server = "docs";
  e.user = "alice";
  e.reason = "the user denied";
  e.at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const auto body = nlohmann::json::parse(webhook_body(e));
  EXPECT_EQ(body, (nlohmann::json{{"event", "failed"},
                                  {"server", "docs"},
                                  {"user", "alice"},
                                  {"at", "2023-11-14T22:13:20Z"},
                                  {"reason", "the user denied"}}));
  e.user.reset();
  e.reason.reset();
  EXPECT_FALSE(nlohmann::json::parse(webhook_body(e)).contains("user"));
  EXPECT_FALSE(nlohmann::json::parse(webhook_body(e)).contains("reason"));
}

TEST(GatewayWebhook, UrlMustBeHttpsOrLoopbackHttp) {
  EXPECT_NO_THROW(check_webhook_url("https://hooks.example.com/mcpauth"));
  EXPECT_NO_THROW(check_webhook_url("http://127.0.0.1:9000/hook"));
  for (const char* bad : {"http://hooks.example.com/x", "ftp://x/y", "not a url", "https://u:p@hooks.example.com/"}) {
    EXPECT_THROW(check_webhook_url(bad), Error) << bad;
  }
}

// What the sender logged, with a wait for a line (a condition with a deadline).
struct LogLines {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> lines;

  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      {
        std::lock_guard lock(mutex);
        lines.push_back(line);
      }
      cv.notify_all();
    };
  }
  bool wait_for(const std::string& part) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] {
      for (const auto& l : lines) {
        if (l.find(part) != std::string::npos) return true;
      }
      return false;
    });
  }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
  }
};

WebhookOptions options_for(std::shared_ptr<ScriptedHttpClient> http, LogLines& log) {
  WebhookOptions o;
  o.url = "https://hooks.example.com/mcpauth";
  o.secret = "webhook-unit-test-secret";
  o.http = std::move(http);
  o.log = log.sink();
  o.first_backoff = std::chrono::milliseconds(1);
  return o;
}

TEST(GatewayWebhook, RetriesAfter5xxAndConnectionErrorsWithTheSameDelivery) {
  auto http = std::make_shared<ScriptedHttpClient>();
  std::mutex mutex;
  std::condition_variable cv;
  bool delivered = false;
  http->then(503).then(
      [](const net::HttpRequest&) -> net::HttpResponse { throw Error(ErrorCode::connection, "connection refused"); });
  http->then([&](const net::HttpRequest&) {
    {
      std::lock_guard lock(mutex);
      delivered = true;
    }
    cv.notify_all();
    return net::HttpResponse{204, {}, {}, {}};
  });
  LogLines log;
  WebhookSender sender(options_for(http, log));
  sender.post({"authorized", "docs"});
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return delivered; }));
  }
  sender.stop();
  const auto requests = http->requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "https://hooks.example.com/mcpauth");
    const auto timestamp = r.headers.get(kWebhookTimestampHeader).value_or("");
    EXPECT_EQ(r.headers.get(kWebhookSignatureHeader), webhook_signature("webhook-unit-test-secret", timestamp, r.body));
    EXPECT_EQ(r.headers.get("Mcpauth-Delivery"), requests[0].headers.get("Mcpauth-Delivery"));
    EXPECT_EQ(nlohmann::json::parse(r.body)["event"], "authorized");
  }
  EXPECT_NE(log.all().find("answered HTTP 503"), std::string::npos) << log.all();
  EXPECT_EQ(log.all().find("webhook-unit-test-secret"), std::string::npos) << log.all();
}

TEST(GatewayWebhook, A4xxIsNotRetried) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(401);
  LogLines log;
  WebhookSender sender(options_for(http, log));
  sender.post({"revoked", "docs"});
  ASSERT_TRUE(log.wait_for("was not delivered")) << log.all();
  sender.stop();
  EXPECT_EQ(http->requests().size(), 1u);
  EXPECT_NE(log.all().find("answered HTTP 401"), std::string::npos) << log.all();
}

TEST(GatewayWebhook, AFullQueueDropsTheOldest) {
  auto http = std::make_shared<ScriptedHttpClient>();
  std::mutex mutex;
  std::condition_variable cv;
  bool arrived = false;
  bool release = false;
  // The first delivery is held until the queue has overflowed.
  http->then([&](const net::HttpRequest&) {
    std::unique_lock lock(mutex);
    arrived = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return release; });
    return net::HttpResponse{200, {}, {}, {}};
  });
  bool done = false;
  http->then(200).then([&](const net::HttpRequest&) {
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    cv.notify_all();
    return net::HttpResponse{200, {}, {}, {}};
  });
  LogLines log;
  auto o = options_for(http, log);
  o.max_queued = 2;
  WebhookSender sender(std::move(o));
  sender.post({"authorized", "first"});
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return arrived; }));
  }
  sender.post({"authorized", "second"});
  sender.post({"authorized", "third"});
  sender.post({"authorized", "fourth"});  // the queue holds 2: "second" goes
  EXPECT_NE(log.all().find("the oldest (authorized of second) is dropped"), std::string::npos) << log.all();
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  // The two kept are sent, the last one ends the script.
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; }));
  }
  sender.stop();
  const auto requests = http->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(requests[1].body)["server"], "third");
  EXPECT_EQ(nlohmann::json::parse(requests[2].body)["server"], "fourth");
}

}  // namespace
}  // namespace mcpauth::gateway

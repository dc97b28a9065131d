// The gateway's webhook (--webhook URL): a JSON event for each grant that
// was authorized, failed or was revoked, POSTed with an HMAC-SHA256
// signature a receiver checks (docs/gateway.md, "Webhook"). Delivery runs
// on a thread of its own, never on a request's or an I/O thread: a bounded
// queue (the oldest event goes when it is full), a short timeout, and a few
// retries with backoff on connection errors and 5xx answers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mcpauth/net/http.hpp"

namespace mcpauth::gateway {

inline constexpr const char* kWebhookSignatureHeader = "Mcpauth-Signature";
inline constexpr const char* kWebhookTimestampHeader = "Mcpauth-Timestamp";
inline constexpr std::size_t kMinWebhookSecretBytes = 16;

// "sha256=" + the lower-case hex HMAC-SHA256, keyed with `secret`, of
// "<timestamp>.<body>" (the timestamp as sent in Mcpauth-Timestamp).
std::string webhook_signature(const std::string& secret, const std::string& timestamp, const std::string& body);

// An instant as RFC 3339 in UTC, to the second: "2026-12-08T03:04:05Z".
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

// Checks a webhook URL: https, or http on a loopback host; no user info.
// Throws Error(usage) saying what is wrong.
void check_webhook_url(const std::string& url);

struct WebhookEvent {
  std::string event;                    // "authorized", "failed" or "revoked"
  std::string server;                   // the configured server's name
  std::optional<std::string> user{};    // the local user (users mode only)
  std::optional<std::string> reason{};  // why it failed: neutral text, never a token or code
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
};

// The body sent for `event`: {"event", "server", "user"?, "at", "reason"?}.
std::string webhook_body(const WebhookEvent& event);

struct WebhookOptions {
  std::string url;
  std::string secret;  // the HMAC key; never logged
  std::shared_ptr<net::HttpClient> http;
  std::function<void(const std::string&)> log;  // delivery problems; never the key or a signature
  std::size_t max_queued = 256;
  int attempts = 4;                              // the first and three retries
  std::chrono::milliseconds first_backoff{500};  // doubled after each failed attempt
  std::chrono::milliseconds timeout{5'000};      // one attempt, connection included
};

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues the event and returns at once.
  void post(WebhookEvent event);
  // Ends delivery: the attempt under way is cancelled, what is queued is
  // dropped (logged with its count). Idempotent.
  void stop();

 private:
  void run();
  // One event, with its retries; false when it was given up.
  bool deliver(const WebhookEvent& event);

  WebhookOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<WebhookEvent> queue_;
  bool stopping_ = false;
  net::CancelToken cancel_;
  std::thread worker_;
};

}  // namespace mcpauth::gateway

#include "webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "mcpauth/core/random.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {

std::string webhook_signature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string message = timestamp + "." + body;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length)) {
    throw std::runtime_error("the webhook signature could not be computed (OpenSSL HMAC failed)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(t);
  const auto day = floor<days>(seconds);
  const year_month_day date{day};
  const int of_day = static_cast<int>((seconds - day).count());  // below 86,400
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), of_day / 3600,
                of_day % 3600 / 60, of_day % 60);
  return text;
}

void check_webhook_url(const std::string& url) {
  core::Url parsed;
  try {
    parsed = core::parse_url(url);
  } catch (const Error& e) {
    throw Error(ErrorCode::usage, std::string("--webhook is not a URL (") + e.what() + ")");
  }
  if (parsed.scheme != "https" && !(parsed.scheme == "http" && core::is_loopback_host(parsed.host))) {
    throw Error(ErrorCode::usage,
                "--webhook must be an https URL (plain http only on a loopback host such as 127.0.0.1): the events "
                "name your servers and users");
  }
}

std::string webhook_body(const WebhookEvent& event) {
  nlohmann::json body = {{"event", event.event}, {"server", event.server}};
  if (event.user) body["user"] = *event.user;
  body["at"] = rfc3339_utc(event.at);
  if (event.reason) body["reason"] = *event.reason;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WebhookSender::WebhookSender(WebhookOptions options) : options_(std::move(options)) {
  worker_ = std::thread([this] { run(); });
}

WebhookSender::~WebhookSender() {
  stop();
}

void WebhookSender::post(WebhookEvent event) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (queue_.size() >= options_.max_queued) {
      const WebhookEvent dropped = std::move(queue_.front());
      queue_.pop_front();
      if (options_.log) {
        options_.log("webhook: " + std::to_string(options_.max_queued) + " events wait already; the oldest (" +
                     dropped.event + " of " + dropped.server + ") is dropped");
      }
    }
    queue_.push_back(std::move(event));
  }
  cv_.notify_all();
}

void WebhookSender::stop() {
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    dropped = queue_.size();
    queue_.clear();
  }
  cancel_.cancel();
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (dropped && options_.log) {
    options_.log("webhook: " + std::to_string(dropped) + " undelivered event(s) dropped as the gateway stops");
  }
}

void WebhookSender::run() {
  for (;;) {
    WebhookEvent event;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      event = std::move(queue_.front());
      queue_.pop_front();
    }
    deliver(event);
  }
}

bool WebhookSender::deliver(const WebhookEvent& event) {
  const std::string body = webhook_body(event);
  // The same id on every attempt: a receiver that got an event twice (its
  // answer was lost) can tell.
  const std::string delivery = core::random_token();
  auto backoff = options_.first_backoff;
  std::string trouble;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    const std::string timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    net::HttpRequest request;
    request.method = "POST";
    request.url = options_.url;
    request.body = body;
    request.headers.set("Content-Type", "application/json");
    request.headers.set(kWebhookTimestampHeader, timestamp);
    request.headers.set(kWebhookSignatureHeader, webhook_signature(options_.secret, timestamp, body));
    request.headers.set("Mcpauth-Delivery", delivery);
    request.connect_timeout = options_.timeout;
    request.total_timeout = options_.timeout;
    request.max_response_bytes = 64 * 1024;
    bool retry = false;
    try {
      const auto response = options_.http->send(request, &cancel_);
      if (response.status >= 200 && response.status < 300) return true;
      trouble = "answered HTTP " + std::to_string(response.status);
      retry = response.status >= 500 || response.status == 429;
    } catch (const Error& e) {
      // Only the kind of failure: the message names the URL, and a webhook
      // URL often carries its secret in the path (Slack, Teams, Discord).
      trouble = std::string("could not be reached (") + std::string(to_string(e.code())) + ")";
      retry = true;
    } catch (const std::exception&) {
      trouble = "could not be reached";
      retry = true;
    }
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return false;
      if (!retry || attempt == options_.attempts) break;
      if (options_.log) {
        options_.log("webhook: the " + event.event + " event of " + event.server + " " + trouble +
                     "; trying again in " + std::to_string(backoff.count()) + " ms");
      }
      // A backoff, not a synchronisation: a stop ends it at once.
      if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) return false;
    }
    backoff *= 2;
  }
  if (options_.log) {
    options_.log("webhook: the " + event.event + " event of " + event.server + " was not delivered: the receiver " +
                 trouble);
  }
  return false;
}

}  // namespace mcpauth::gateway

#include "mcpauth/net/curl_http_client.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "curl_transfer.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/version.hpp"

namespace mcpauth::net {
namespace {

constexpr std::size_t kMaxIdleHandles = 16;
// Upper bound on one curl_multi_poll wait, so idle timeouts are noticed.
constexpr long kPollSliceMs = 1000;

// Buffers a whole body for send(), within the request's size cap.
class BufferingHandler final : public HttpStreamHandler {
 public:
  BufferingHandler(HttpResponse& response, const HttpRequest& request) : response_(response), request_(request) {}
  bool on_response_start(int status, const HttpHeaders& headers) override {
    response_.status = status;
    response_.headers = headers;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    if (response_.body.size() + chunk.size() > request_.max_response_bytes) {
      throw Error(ErrorCode::response_too_large,
                  "the response to " + request_.method + " " + request_.url + " is larger than the limit of " +
                      std::to_string(request_.max_response_bytes) + " bytes",
                  request_.url);
    }
    response_.body.append(chunk);
    return true;
  }

 private:
  HttpResponse& response_;
  const HttpRequest& request_;
};

// A curl easy handle with the multi handle that drives it.
struct Handle {
  CURL* easy = curl_easy_init();
  CURLM* multi = curl_multi_init();
  ~Handle() {
    if (multi) curl_multi_cleanup(multi);
    if (easy) curl_easy_cleanup(easy);
  }
};

}  // namespace

class CurlHttpClient::Impl {
 public:
  explicit Impl(CurlHttpClientOptions options) {
    settings_.user_agent = options.user_agent.empty() ? std::string("mcpauth/") + version() : options.user_agent;
    settings_.ca_bundle = std::move(options.ca_bundle);
    settings_.ipv4_only = options.ipv4_only;
    if (options.cookies) {
      cookies_ = std::make_unique<detail::CookieShare>();
      settings_.cookie_share = cookies_->get();
    }
  }
  std::string perform(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel);

 private:
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);

  std::unique_ptr<detail::CookieShare> cookies_;  // outlives the handles that use it (declared first)
  detail::EasySettings settings_;
  std::mutex pool_mutex_;
  // Idle handles keep their connection caches, so keep-alive connections
  // are reused across requests without sharing a handle between threads.
  std::vector<std::unique_ptr<Handle>> idle_;
};

CurlHttpClientOptions CurlHttpClientOptions::from_environment() {
  CurlHttpClientOptions options;
  for (const char* name : {"MCPAUTH_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"}) {
    if (const char* value = std::getenv(name); value && *value) {
      options.ca_bundle = value;
      break;
    }
  }
  return options;
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) {
  detail::curl_global_init_once();
  impl_ = std::make_unique<Impl>(std::move(options));
}

CurlHttpClient::~CurlHttpClient() = default;

std::unique_ptr<Handle> CurlHttpClient::Impl::acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  if (!handle->easy || !handle->multi) throw std::bad_alloc();
  return handle;
}

void CurlHttpClient::Impl::release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

HttpResponse CurlHttpClient::send(const HttpRequest& request, CancelToken* cancel) {
  HttpResponse response;
  BufferingHandler handler(response, request);
  response.effective_url = impl_->perform(request, handler, cancel);
  return response;
}

void CurlHttpClient::stream(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel) {
  impl_->perform(request, handler, cancel);
}

std::string CurlHttpClient::Impl::perform(const HttpRequest& request, HttpStreamHandler& handler, CancelToken* cancel) {
  auto handle = acquire();
  CURLM* multi = handle->multi;
  detail::CurlTransfer transfer(handle->easy, request, handler);
  transfer.setup(settings_);

  if (cancel && !cancel->set_waker([multi] { curl_multi_wakeup(multi); })) {
    release(std::move(handle));
    throw Error(ErrorCode::cancelled, request.method + " " + request.url + " was cancelled", request.url);
  }
  struct WakerGuard {
    CancelToken* token;
    ~WakerGuard() {
      if (token) token->clear_waker();
    }
  } waker_guard{cancel};

  curl_multi_add_handle(multi, handle->easy);
  CURLcode result = CURLE_OK;
  bool done = false;
  bool idle_expired = false;
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (cancel && cancel->cancelled()) break;
    long wait_ms = kPollSliceMs;
    const auto watch = transfer.watch(wait_ms);
    if (watch == detail::CurlTransfer::Watch::drain_over) break;  // give up the connection, not the answer
    if (watch == detail::CurlTransfer::Watch::idle_expired) {
      idle_expired = true;
      break;
    }
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }
  curl_multi_remove_handle(multi, handle->easy);

  std::string effective_url = transfer.effective_url();
  const bool cancelled = !done && cancel && cancel->cancelled();
  try {
    transfer.finish(done, result, cancelled, idle_expired);
  } catch (...) {
    release(std::move(handle));
    throw;
  }
  release(std::move(handle));
  return effective_url;
}

}  // namespace mcpauth::net

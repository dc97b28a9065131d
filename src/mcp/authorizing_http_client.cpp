#include "mcpauth/mcp/authorizing_http_client.hpp"

#include <mutex>
#include <optional>
#include <utility>

#include "mcpauth/error.hpp"

namespace mcpauth::mcp {
namespace {

bool is_rejection(int status) {
  return status == 401 || status == 403;
}

// How much of a rejection's body is kept to hand on when no retry follows
// (servers explain a 401/403 in a few hundred bytes; the rest is dropped).
constexpr std::size_t kMaxRejectionBody = 64u << 10;

// Stands between the inner client and the caller's handler: a 401 or 403 is
// held back (status, headers, the start of its body) until it is known
// whether the request will be sent again; anything else flows straight on.
class RejectionCatcher final : public net::HttpStreamHandler {
 public:
  explicit RejectionCatcher(net::HttpStreamHandler& next) : next_(next) {}

  bool on_response_start(int status, const net::HttpHeaders& headers) override {
    if (is_rejection(status)) {
      rejection_ = Rejection{status, headers};
      return true;
    }
    return next_.on_response_start(status, headers);
  }

  bool on_body(std::string_view chunk) override {
    if (!rejection_) return next_.on_body(chunk);
    body_.append(chunk.substr(0, kMaxRejectionBody - std::min(kMaxRejectionBody, body_.size())));
    return body_.size() < kMaxRejectionBody;
  }

  const std::optional<Rejection>& rejection() const { return rejection_; }

  // The held-back answer, to the caller's handler as if it had just arrived.
  void deliver() {
    if (next_.on_response_start(rejection_->status, rejection_->headers) && !body_.empty()) next_.on_body(body_);
  }

 private:
  net::HttpStreamHandler& next_;
  std::optional<Rejection> rejection_;
  std::string body_;
};

}  // namespace

AuthorizingHttpClient::AuthorizingHttpClient(std::shared_ptr<net::HttpClient> inner,
                                             std::shared_ptr<RequestAuthorizer> authorizer)
    : inner_(std::move(inner)), authorizer_(std::move(authorizer)) {
  if (!inner_ || !authorizer_)
    throw Error(ErrorCode::usage, "AuthorizingHttpClient needs an HttpClient and an authorizer");
}

net::HttpResponse AuthorizingHttpClient::send(const net::HttpRequest& original, net::CancelToken* cancel) {
  for (int attempt = 0;; ++attempt) {
    net::HttpRequest request = original;
    authorizer_->apply(request);
    net::HttpResponse response = inner_->send(request, cancel);
    if (!is_rejection(response.status) || attempt >= kMaxCredentialRetries ||
        !authorizer_->on_rejected(request, Rejection{response.status, response.headers})) {
      return response;
    }
  }
}

void AuthorizingHttpClient::stream(const net::HttpRequest& original, net::HttpStreamHandler& handler,
                                   net::CancelToken* cancel) {
  for (int attempt = 0;; ++attempt) {
    net::HttpRequest request = original;
    authorizer_->apply(request);
    RejectionCatcher catcher(handler);
    inner_->stream(request, catcher, cancel);
    if (!catcher.rejection()) return;
    if (attempt >= kMaxCredentialRetries || !authorizer_->on_rejected(request, *catcher.rejection())) {
      catcher.deliver();
      return;
    }
  }
}

// One request on the loop with its credential retries: each attempt is a
// transfer whose 401/403 is held back (RejectionCatcher); at its end the
// authorizer is asked on the pool, and the request goes again or the held
// answer goes to the caller's handler.
class AuthorizingAsyncHttpClient::Exchange final : public std::enable_shared_from_this<Exchange>,
                                                   public net::AsyncOperation {
 public:
  Exchange(std::shared_ptr<net::AsyncHttpClient> inner, std::shared_ptr<RequestAuthorizer> authorizer,
           net::HttpRequest original, std::shared_ptr<net::AsyncStreamHandler> handler)
      : inner_(std::move(inner)),
        authorizer_(std::move(authorizer)),
        handler_(std::move(handler)),
        original_(std::move(original)) {}

  // Applies the credentials (on the calling thread) and starts an attempt.
  void send() {
    net::HttpRequest request;
    {
      std::lock_guard lock(mutex_);
      request = original_;
    }
    try {
      authorizer_->apply(request);
    } catch (const Error& e) {
      handler_->on_done(&e);
      return;
    }
    auto attempt = std::make_shared<Attempt>(shared_from_this(), request);
    auto op = inner_->start(std::move(request), attempt);
    std::lock_guard lock(mutex_);
    current_ = std::move(op);
    if (cancelled_) current_->cancel();
  }

  void cancel() override {
    std::shared_ptr<net::AsyncOperation> current;
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
      current = current_;
    }
    if (current) current->cancel();
  }

 private:
  class Attempt final : public net::AsyncStreamHandler, public std::enable_shared_from_this<Attempt> {
   public:
    Attempt(std::shared_ptr<Exchange> exchange, net::HttpRequest request)
        : exchange_(std::move(exchange)), request_(std::move(request)), catcher_(*exchange_->handler_) {}
    bool on_response_start(int status, const net::HttpHeaders& headers) override {
      const bool go_on = catcher_.on_response_start(status, headers);
      // An answer not held back is never sent again: the copies of the
      // request go now, not when the transfer ends (an event stream's ends
      // with its session, and thousands may be open).
      if (!catcher_.rejection()) {
        request_ = net::HttpRequest{};
        exchange_->forget_request();
      }
      return go_on;
    }
    bool on_body(std::string_view chunk) override { return catcher_.on_body(chunk); }
    void on_done(const Error* error) override {
      if (error || !catcher_.rejection()) {
        exchange_->handler_->on_done(error);
        return;
      }
      // May block (a refresh, another thread's authorization): off the loop.
      auto self = shared_from_this();
      exchange_->inner_->run_blocking([self] { self->exchange_->rejected(*self); });
    }
    const net::HttpRequest& request() const { return request_; }
    RejectionCatcher& catcher() { return catcher_; }

   private:
    std::shared_ptr<Exchange> exchange_;
    net::HttpRequest request_;
    RejectionCatcher catcher_;
  };

  void forget_request() {
    std::lock_guard lock(mutex_);
    original_ = net::HttpRequest{};
  }

  void rejected(Attempt& attempt) {
    bool again = false;
    {
      std::lock_guard lock(mutex_);
      again = !cancelled_ && attempts_ < kMaxCredentialRetries;
    }
    try {
      again = again && authorizer_->on_rejected(attempt.request(), *attempt.catcher().rejection());
    } catch (const Error& e) {
      handler_->on_done(&e);
      return;
    }
    if (again) {
      {
        std::lock_guard lock(mutex_);
        ++attempts_;
      }
      send();
      return;
    }
    attempt.catcher().deliver();
    handler_->on_done(nullptr);
  }

  std::shared_ptr<net::AsyncHttpClient> inner_;
  std::shared_ptr<RequestAuthorizer> authorizer_;
  std::shared_ptr<net::AsyncStreamHandler> handler_;
  std::mutex mutex_;  // guards what follows
  net::HttpRequest original_;
  bool cancelled_ = false;
  int attempts_ = 0;
  std::shared_ptr<net::AsyncOperation> current_;
};

AuthorizingAsyncHttpClient::AuthorizingAsyncHttpClient(std::shared_ptr<net::AsyncHttpClient> inner,
                                                       std::shared_ptr<RequestAuthorizer> authorizer)
    : inner_(std::move(inner)), authorizer_(std::move(authorizer)) {
  if (!inner_ || !authorizer_)
    throw Error(ErrorCode::usage, "AuthorizingAsyncHttpClient needs an AsyncHttpClient and an authorizer");
}

std::shared_ptr<net::AsyncOperation> AuthorizingAsyncHttpClient::start(
    net::HttpRequest request, std::shared_ptr<net::AsyncStreamHandler> handler) {
  auto exchange = std::make_shared<Exchange>(inner_, authorizer_, std::move(request), std::move(handler));
  exchange->send();
  return exchange;
}

std::shared_ptr<net::AsyncHttpClient> with_credentials(std::shared_ptr<net::AsyncHttpClient> http,
                                                       std::shared_ptr<RequestAuthorizer> authorizer) {
  if (!authorizer || !http) return http;
  return std::make_shared<AuthorizingAsyncHttpClient>(std::move(http), std::move(authorizer));
}

std::shared_ptr<net::HttpClient> with_credentials(std::shared_ptr<net::HttpClient> http,
                                                  std::shared_ptr<RequestAuthorizer> authorizer) {
  if (!authorizer) return http;
  return std::make_shared<AuthorizingHttpClient>(std::move(http), std::move(authorizer));
}

}  // namespace mcpauth::mcp

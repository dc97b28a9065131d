#include "mcpauth/mcp/authorizing_http_client.hpp"

#include <optional>

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

std::shared_ptr<net::HttpClient> with_credentials(std::shared_ptr<net::HttpClient> http,
                                                  std::shared_ptr<RequestAuthorizer> authorizer) {
  if (!authorizer) return http;
  return std::make_shared<AuthorizingHttpClient>(std::move(http), std::move(authorizer));
}

}  // namespace mcpauth::mcp

#include "http_policy.hpp"

#include <utility>

namespace mcpauth::app {
namespace {

class PolicyHttpClient final : public net::HttpClient {
 public:
  PolicyHttpClient(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    return inner_->send(adjust(request), cancel);
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    inner_->stream(adjust(request), handler, cancel);
  }

 private:
  net::HttpRequest adjust(const net::HttpRequest& request) const {
    net::HttpRequest out = request;
    if (policy_.headers_timeout) out.headers_timeout = *policy_.headers_timeout;
    if (policy_.body_timeout) out.idle_timeout = *policy_.body_timeout;
    return out;
  }

  std::shared_ptr<net::HttpClient> inner_;
  HttpPolicy policy_;
};

}  // namespace

std::shared_ptr<net::HttpClient> with_http_policy(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy) {
  if (!policy.headers_timeout && !policy.body_timeout) return inner;
  return std::make_shared<PolicyHttpClient>(std::move(inner), std::move(policy));
}

}  // namespace mcpauth::app

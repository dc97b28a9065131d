#include "request_rewrite.hpp"

#include <utility>

namespace mcpauth::app {
namespace {

class RewritingHttpClient final : public net::HttpClient {
 public:
  RewritingHttpClient(std::shared_ptr<net::HttpClient> inner, RequestRewrite rewrite)
      : inner_(std::move(inner)), rewrite_(std::move(rewrite)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    return inner_->send(rewrite_(request), cancel);
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    inner_->stream(rewrite_(request), handler, cancel);
  }

 private:
  std::shared_ptr<net::HttpClient> inner_;
  RequestRewrite rewrite_;
};

}  // namespace

std::shared_ptr<net::HttpClient> rewriting_requests(std::shared_ptr<net::HttpClient> inner, RequestRewrite rewrite) {
  return std::make_shared<RewritingHttpClient>(std::move(inner), std::move(rewrite));
}

}  // namespace mcpauth::app

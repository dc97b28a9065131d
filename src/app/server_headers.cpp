#include "server_headers.hpp"

namespace mcpauth::app {
namespace {

class ServerHeaders final : public net::HttpClient {
 public:
  ServerHeaders(std::shared_ptr<net::HttpClient> inner, std::string server_url, net::HttpHeaders headers)
      : inner_(std::move(inner)), server_url_(std::move(server_url)), headers_(std::move(headers)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    return inner_->send(with_headers(request), cancel);
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    inner_->stream(with_headers(request), handler, cancel);
  }

 private:
  net::HttpRequest with_headers(const net::HttpRequest& request) const {
    if (request.url != server_url_) return request;
    net::HttpRequest out = request;
    for (const auto& header : headers_) out.headers.set(header.name, header.value);
    return out;
  }

  std::shared_ptr<net::HttpClient> inner_;
  std::string server_url_;
  net::HttpHeaders headers_;
};

}  // namespace

std::shared_ptr<net::HttpClient> with_server_headers(std::shared_ptr<net::HttpClient> inner, std::string server_url,
                                                     net::HttpHeaders headers) {
  if (headers.empty()) return inner;
  return std::make_shared<ServerHeaders>(std::move(inner), std::move(server_url), std::move(headers));
}

}  // namespace mcpauth::app

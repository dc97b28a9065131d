#include "http_policy.hpp"

#include <utility>

#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::app {
namespace {

// Passes the response on, telling the debug line its status first.
class StatusTap final : public net::HttpStreamHandler {
 public:
  StatusTap(net::HttpStreamHandler& inner, int& status) : inner_(inner), status_(status) {}
  bool on_response_start(int status, const net::HttpHeaders& headers) override {
    status_ = status;
    return inner_.on_response_start(status, headers);
  }
  bool on_body(std::string_view chunk) override { return inner_.on_body(chunk); }

 private:
  net::HttpStreamHandler& inner_;
  int& status_;
};

class PolicyHttpClient final : public net::HttpClient {
 public:
  PolicyHttpClient(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    const net::HttpRequest adjusted = adjust(request);
    try {
      net::HttpResponse response = inner_->send(adjusted, cancel);
      log(adjusted, std::to_string(response.status));
      return response;
    } catch (const Error& e) {
      log(adjusted, std::string("failed: ") + e.what());
      throw;
    }
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    const net::HttpRequest adjusted = adjust(request);
    int status = 0;
    StatusTap tap(handler, status);
    try {
      inner_->stream(adjusted, tap, cancel);
      log(adjusted, std::to_string(status));
    } catch (const Error& e) {
      log(adjusted, (status ? std::to_string(status) + ", then " : std::string()) + "failed: " + e.what());
      throw;
    }
  }

 private:
  net::HttpRequest adjust(const net::HttpRequest& request) const {
    net::HttpRequest out = request;
    if (policy_.headers_timeout) out.headers_timeout = *policy_.headers_timeout;
    if (policy_.body_timeout) out.idle_timeout = *policy_.body_timeout;
    return out;
  }

  void log(const net::HttpRequest& request, const std::string& outcome) const {
    if (policy_.debug)
      policy_.debug(core::printable(request.method + " " + url_for_log(request.url) + " -> " + outcome));
  }

  std::shared_ptr<net::HttpClient> inner_;
  HttpPolicy policy_;
};

}  // namespace

std::shared_ptr<net::HttpClient> with_http_policy(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy) {
  if (!policy.headers_timeout && !policy.body_timeout && !policy.debug) return inner;
  return std::make_shared<PolicyHttpClient>(std::move(inner), std::move(policy));
}

std::string url_for_log(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace mcpauth::app

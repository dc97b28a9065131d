#include "http_policy.hpp"

#include <utility>

#include "request_rewrite.hpp"

namespace mcpauth::app {

std::shared_ptr<net::HttpClient> with_http_policy(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy) {
  if (!policy.headers_timeout && !policy.body_timeout) return inner;
  return rewriting_requests(std::move(inner), [policy](const net::HttpRequest& request) {
    net::HttpRequest out = request;
    if (policy.headers_timeout) out.headers_timeout = *policy.headers_timeout;
    if (policy.body_timeout) out.idle_timeout = *policy.body_timeout;
    return out;
  });
}

}  // namespace mcpauth::app

#include "server_headers.hpp"

#include <utility>

#include "request_rewrite.hpp"

namespace mcpauth::app {

std::shared_ptr<net::HttpClient> with_server_headers(std::shared_ptr<net::HttpClient> inner, std::string server_url,
                                                     net::HttpHeaders headers) {
  if (headers.empty()) return inner;
  return rewriting_requests(std::move(inner), [server_url = std::move(server_url),
                                               headers = std::move(headers)](const net::HttpRequest& request) {
    if (request.url != server_url) return request;
    net::HttpRequest out = request;
    for (const auto& header : headers) out.headers.set(header.name, header.value);
    return out;
  });
}

}  // namespace mcpauth::app

// An HttpClient that passes every request through a function before the
// client it wraps sends it: the one shape of the command's request policies
// (server_headers.hpp, http_policy.hpp), which differ only in the rewrite.
#pragma once

#include <functional>
#include <memory>

#include "mcpauth/net/http.hpp"

namespace mcpauth::app {

using RequestRewrite = std::function<net::HttpRequest(const net::HttpRequest&)>;

std::shared_ptr<net::HttpClient> rewriting_requests(std::shared_ptr<net::HttpClient> inner, RequestRewrite rewrite);

}  // namespace mcpauth::app

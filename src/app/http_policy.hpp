// The command's HTTP policy over the library's HttpClient: mcp-remote's
// --headers-timeout and --body-timeout on every request (the session's and
// the OAuth exchanges'). --debug's lines are the debug log's (debug_log.hpp).
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "mcpauth/net/http.hpp"

namespace mcpauth::app {

struct HttpPolicy {
  // Given: replaces each request's own bound (zero: none of its own).
  std::optional<std::chrono::milliseconds> headers_timeout;  // until the answer's headers are complete
  std::optional<std::chrono::milliseconds> body_timeout;     // the longest silence within an exchange
};

// `inner` itself when the policy changes nothing.
std::shared_ptr<net::HttpClient> with_http_policy(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy);

}  // namespace mcpauth::app

// The command's HTTP policy over the library's HttpClient: mcp-remote's
// --headers-timeout and --body-timeout on every request (the session's and
// the OAuth exchanges'), and --debug's one line per exchange.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/net/http.hpp"

namespace mcpauth::app {

struct HttpPolicy {
  // Given: replaces each request's own bound (zero: none of its own).
  std::optional<std::chrono::milliseconds> headers_timeout;  // until the answer's headers are complete
  std::optional<std::chrono::milliseconds> body_timeout;     // the longest silence within an exchange
  // When set: "METHOD URL -> status" per exchange (the URL without query or
  // fragment, which may carry codes), or "-> failed: <error>".
  std::function<void(const std::string&)> debug;
};

// `inner` itself when the policy changes nothing.
std::shared_ptr<net::HttpClient> with_http_policy(std::shared_ptr<net::HttpClient> inner, HttpPolicy policy);

// The URL as a debug line shows it: without its query and fragment.
std::string url_for_log(std::string_view url);

}  // namespace mcpauth::app

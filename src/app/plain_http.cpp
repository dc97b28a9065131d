#include "plain_http.hpp"

#include "mcpauth/error.hpp"

namespace mcpauth::app {

void require_https_off_loopback(const core::Url& url, bool allow_http) {
  if (url.scheme != "http" || core::is_loopback_host(url.host) || allow_http) return;
  throw Error(ErrorCode::insecure_url,
              "the server URL " + url.text +
                  " uses plain http on a host that is not loopback: headers and tokens would travel in clear; use "
                  "https, or --allow-http for a test server",
              url.text);
}

}  // namespace mcpauth::app

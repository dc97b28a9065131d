// The gateway's request checks, as pure functions: listen address parsing,
// Host and Origin validation against DNS rebinding, API key extraction, and
// constant-time comparison of secrets (API key, CSRF token).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::gateway {

struct ListenAddress {
  std::string host;  // as given, without brackets ("127.0.0.1", "::1", "0.0.0.0")
  int port = 0;      // 0: any free port
};

// "ADDR:PORT", "[V6]:PORT" or "ADDR" (port 8930). Throws Error(usage).
ListenAddress parse_listen_address(const std::string& text);

// Whether a listen address is loopback is core::is_loopback_host (core/url.hpp):
// the canonical spellings only, so a listener counts as local only when it is.
// 0.0.0.0 or :: (every interface).
bool is_wildcard_address(std::string_view host);

// Compares without an early exit, so timing says nothing about the secret.
bool constant_time_equal(std::string_view a, std::string_view b);

// The value of "Authorization: Bearer <value>", or nullopt.
std::optional<std::string> bearer_credentials(std::string_view authorization);

// Which Host and Origin values name this gateway (and not a rebound DNS name).
class HostPolicy {
 public:
  HostPolicy(std::string listen_host, int port) : listen_host_(std::move(listen_host)), port_(port) {}

  // Host must be the listen address or localhost / 127.0.0.1 / [::1], with
  // the listen port. Listening on a wildcard address (an API key is then
  // required), any host name with the listen port is accepted.
  bool host_allowed(std::string_view host) const;
  // An Origin (when present) must be http://<an allowed host>.
  bool origin_allowed(std::string_view origin) const;

  int port() const noexcept { return port_; }

 private:
  std::string listen_host_;
  int port_;
};

}  // namespace mcpauth::gateway

#include "security.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

using core::lower;

// A numeric IPv4 or IPv6 address, as inet_pton takes it: an IPv6 scope
// (fe80::1%eth0), which Asio would take, is refused as it was before.
std::optional<boost::asio::ip::address> numeric_address(const std::string& text) {
  if (text.find('%') != std::string::npos) return std::nullopt;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return address;
}

std::optional<int> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return std::nullopt;
  return port;
}

// Splits "host:port" / "[v6]:port" / "host"; the host without brackets.
bool split_host_port(std::string_view text, std::string& host, std::optional<int>& port) {
  port.reset();
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = parse_port(rest.substr(1));
    return port.has_value();
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    host = std::string(text);
    return !host.empty();
  }
  if (text.find(':') != colon) return false;  // an IPv6 literal must be bracketed
  host = std::string(text.substr(0, colon));
  port = parse_port(text.substr(colon + 1));
  return port.has_value() && !host.empty();
}

}  // namespace

ListenAddress parse_listen_address(const std::string& text) {
  std::string host;
  std::optional<int> port;
  if (text.size() > 300 || !split_host_port(text, host, port)) {
    throw Error(ErrorCode::usage, "--listen must be ADDR:PORT (e.g. 127.0.0.1:8930 or [::1]:8930)");
  }
  if (host != "localhost" && !numeric_address(host)) {
    throw Error(ErrorCode::usage, "--listen: " + host + " is not an IP address (or localhost)");
  }
  return {host == "localhost" ? "127.0.0.1" : host, port.value_or(8930)};
}

bool is_wildcard_address(std::string_view host) {
  const auto address = numeric_address(std::string(host));
  return address && address->is_unspecified();
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The length is not secret enough to hide (keys have a fixed length); the contents are.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

std::optional<std::string> bearer_credentials(std::string_view authorization) {
  if (authorization.size() < 7 || lower(authorization.substr(0, 7)) != "bearer ") return std::nullopt;
  std::string_view value = authorization.substr(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

bool HostPolicy::host_allowed(std::string_view text) const {
  std::string host;
  std::optional<int> port;
  if (text.empty() || text.size() > 300 || !split_host_port(text, host, port)) return false;
  if (port.value_or(80) != port_) return false;
  host = lower(host);
  if (is_wildcard_address(listen_host_)) return true;
  return host == lower(listen_host_) || host == "localhost" || host == "127.0.0.1" || host == "::1";
}

bool HostPolicy::origin_allowed(std::string_view origin) const {
  constexpr std::string_view kScheme = "http://";
  if (origin.size() <= kScheme.size() || lower(origin.substr(0, kScheme.size())) != kScheme) return false;
  const auto rest = origin.substr(kScheme.size());
  if (rest.find('/') != std::string_view::npos) return false;
  return host_allowed(rest);
}

}  // namespace mcpauth::gateway

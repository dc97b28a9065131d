#include "mcpauth/core/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/ip_address.hpp"

namespace mcpauth::core {
namespace {

struct UrlHandleDeleter {
  void operator()(CURLU* h) const noexcept { curl_url_cleanup(h); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlHandleDeleter>;

struct CurlString {
  char* p = nullptr;
  ~CurlString() { curl_free(p); }
  std::string str() const { return p ? std::string(p) : std::string(); }
};

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string get_part(CURLU* h, CURLUPart part, unsigned flags = 0) {
  CurlString out;
  if (curl_url_get(h, part, &out.p, flags) != CURLUE_OK) return {};
  return out.str();
}

// The URL for an error message, with any user:password@ replaced: a
// credential typed into a URL must not reach a log.
std::string redact(const std::string& text) {
  const auto scheme_end = text.find("://");
  const std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = text.find_first_of("/?#", authority);
  const auto at = text.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
  if (at == std::string::npos || at < authority) return text;
  return text.substr(0, authority) + "***@" + text.substr(at + 1);
}

Url from_handle(CURLU* h, std::string text) {
  Url url;
  url.scheme = lower(get_part(h, CURLUPART_SCHEME));
  if (url.scheme != "http" && url.scheme != "https") {
    throw Error(ErrorCode::usage,
                "unsupported URL scheme \"" + url.scheme + "\" in " + redact(text) + " (use http or https)");
  }
  if (!get_part(h, CURLUPART_USER).empty() || !get_part(h, CURLUPART_PASSWORD).empty()) {
    throw Error(ErrorCode::usage,
                "the URL contains user credentials (user:password@); send them in an Authorization header instead", {},
                0, {.remedies = {Remedy::static_token}});
  }
  url.host = lower(get_part(h, CURLUPART_HOST));
  if (url.host.empty()) throw Error(ErrorCode::usage, "the URL " + redact(text) + " has no host");
  url.port = std::stoi(get_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT));
  url.path = get_part(h, CURLUPART_PATH);
  url.query = get_part(h, CURLUPART_QUERY);
  url.text = std::move(text);
  return url;
}

}  // namespace

Url parse_url(std::string_view input) {
  std::string text = trim(input);
  UrlHandle h(curl_url());
  if (!h) throw std::bad_alloc();
  const CURLUcode rc = curl_url_set(h.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) {
    throw Error(ErrorCode::usage, "\"" + redact(text) + "\" is not a valid absolute URL (" + curl_url_strerror(rc) +
                                      "); expected something like https://example.com/mcp");
  }
  Url url = from_handle(h.get(), text);
  // curl reports "/" for "https://host"; keep the path exactly as written.
  if (url.path == "/") {
    const auto scheme_end = text.find("://");
    const auto path_start = text.find_first_of("/?#", scheme_end + 3);
    if (path_start == std::string::npos || text[path_start] != '/') url.path.clear();
  }
  return url;
}

std::string origin_of(const Url& url) {
  const bool default_port = (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443);
  return url.scheme + "://" + url.host + (default_port ? "" : ":" + std::to_string(url.port));
}

bool same_origin(const Url& a, const Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

std::string resolve_reference(const Url& base, std::string_view reference) {
  UrlHandle h(curl_url());
  if (!h) throw std::bad_alloc();
  if (curl_url_set(h.get(), CURLUPART_URL, base.text.c_str(), 0) != CURLUE_OK) {
    throw Error(ErrorCode::usage, "cannot use " + base.text + " as a base URL");
  }
  const std::string ref(trim(reference));
  // With a base set, curl resolves a relative reference as RFC 3986 §5 says.
  const CURLUcode rc = curl_url_set(h.get(), CURLUPART_URL, ref.c_str(), 0);
  if (rc != CURLUE_OK) {
    throw Error(ErrorCode::protocol,
                "the server sent an invalid URL reference \"" + ref + "\" (" + curl_url_strerror(rc) + ")", base.text);
  }
  std::string resolved = get_part(h.get(), CURLUPART_URL);
  const std::string scheme = lower(get_part(h.get(), CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") {
    throw Error(ErrorCode::protocol, "the server sent a URL with the unsupported scheme \"" + scheme + "\"", base.text);
  }
  return resolved;
}

namespace {

using mcpauth::platform::IpAddress;

bool is_v4_loopback(const IpAddress& a) {
  return a.bytes[0] == 127;
}

bool all_zero(const IpAddress& a, std::size_t from, std::size_t to) {
  return std::all_of(a.bytes.begin() + static_cast<std::ptrdiff_t>(from),
                     a.bytes.begin() + static_cast<std::ptrdiff_t>(to), [](std::uint8_t b) { return b == 0; });
}

// The IPv6 special addresses, as <netinet/in.h>'s IN6_IS_ADDR_* macros define them.
bool is_v6_unspecified(const IpAddress& a) {
  return all_zero(a, 0, 16);
}
bool is_v6_loopback(const IpAddress& a) {
  return all_zero(a, 0, 15) && a.bytes[15] == 1;
}
bool is_v6_link_local(const IpAddress& a) {
  return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}
bool is_v6_v4_mapped(const IpAddress& a) {
  return all_zero(a, 0, 10) && a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}
// ::a.b.c.d, the deprecated v4-compatible form (:: and ::1 are not).
bool is_v6_v4_compatible(const IpAddress& a) {
  return all_zero(a, 0, 12) && !(all_zero(a, 12, 15) && a.bytes[15] <= 1);
}

std::uint32_t v4_at(const IpAddress& a, std::size_t offset) {
  return (std::uint32_t{a.bytes[offset]} << 24) | (std::uint32_t{a.bytes[offset + 1]} << 16) |
         (std::uint32_t{a.bytes[offset + 2]} << 8) | std::uint32_t{a.bytes[offset + 3]};
}

std::string unbracketed(std::string h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return h;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  // Stricter than classify_host() on purpose: this answers "may plain http or a loopback redirect be trusted",
  // and only the canonical spellings are; classify_host() answers "may a server direct us here", where every
  // spelling of loopback (v4-mapped, "localhost.") must count.
  std::string h = lower(std::string(host));
  if (h == "localhost") return true;
  const auto address = mcpauth::platform::parse_ip_address(unbracketed(std::move(h)));
  if (!address) return false;
  return address->v6 ? is_v6_loopback(*address) : is_v4_loopback(*address);
}

HostKind classify_host(std::string_view host) {
  std::string h = lower(std::string(host));
  if (h == "localhost" || h == "localhost.") return HostKind::loopback;
  const auto classify_v4 = [](std::uint32_t a) {
    if ((a >> 24) == 127) return HostKind::loopback;
    if ((a >> 16) == 0xA9FE) return HostKind::link_local;  // 169.254/16, the cloud metadata range
    if ((a >> 24) == 0) return HostKind::unspecified;
    if (a == 0x646464C8) return HostKind::metadata_service;  // 100.100.100.200
    return HostKind::name;
  };
  const auto address = mcpauth::platform::parse_ip_address(unbracketed(std::move(h)));
  if (!address) return HostKind::name;
  const IpAddress& v6 = *address;
  if (!v6.v6) return classify_v4(v4_at(v6, 0));
  if (is_v6_loopback(v6)) return HostKind::loopback;
  if (is_v6_unspecified(v6)) return HostKind::unspecified;
  if (is_v6_link_local(v6)) return HostKind::link_local;
  if (is_v6_v4_mapped(v6) || is_v6_v4_compatible(v6)) return classify_v4(v4_at(v6, 12));
  // fd00:ec2::254, the AWS metadata service over IPv6
  constexpr std::array<std::uint8_t, 16> aws{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (v6.bytes == aws) return HostKind::metadata_service;
  return HostKind::name;
}

bool is_private_network_host(std::string_view host) {
  const auto private_v4 = [](std::uint32_t a) {
    return (a >> 24) == 10 || (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 22) == (0x6440'0000u >> 22);
  };
  const auto address = mcpauth::platform::parse_ip_address(unbracketed(lower(std::string(host))));
  if (!address) return false;
  if (!address->v6) return private_v4(v4_at(*address, 0));
  if (is_v6_v4_mapped(*address) || is_v6_v4_compatible(*address)) return private_v4(v4_at(*address, 12));
  return (address->bytes[0] & 0xfe) == 0xfc;  // fc00::/7, unique local addresses
}

}  // namespace mcpauth::core

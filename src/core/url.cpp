#include "mcpauth/core/url.hpp"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>

#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"

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

bool is_loopback_host(std::string_view host) {
  // Stricter than classify_host() on purpose: this answers "may plain http or a loopback redirect be trusted",
  // and only the canonical spellings are; classify_host() answers "may a server direct us here", where every
  // spelling of loopback (v4-mapped, "localhost.") must count.
  std::string h = lower(std::string(host));
  if (h == "localhost") return true;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, h.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

HostKind classify_host(std::string_view host) {
  std::string h = lower(std::string(host));
  if (h == "localhost" || h == "localhost.") return HostKind::loopback;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const auto classify_v4 = [](std::uint32_t a) {
    if ((a >> 24) == 127) return HostKind::loopback;
    if ((a >> 16) == 0xA9FE) return HostKind::link_local;  // 169.254/16, the cloud metadata range
    if ((a >> 24) == 0) return HostKind::unspecified;
    if (a == 0x646464C8) return HostKind::metadata_service;  // 100.100.100.200
    return HostKind::name;
  };
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return classify_v4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) != 1) return HostKind::name;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return HostKind::loopback;
  if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return HostKind::unspecified;
  if (IN6_IS_ADDR_LINKLOCAL(&v6)) return HostKind::link_local;
  if (IN6_IS_ADDR_V4MAPPED(&v6) || IN6_IS_ADDR_V4COMPAT(&v6)) {
    const auto* b = v6.s6_addr;
    return classify_v4((std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) |
                       std::uint32_t{b[15]});
  }
  in6_addr aws{};
  inet_pton(AF_INET6, "fd00:ec2::254", &aws);
  if (std::equal(std::begin(v6.s6_addr), std::end(v6.s6_addr), std::begin(aws.s6_addr))) {
    return HostKind::metadata_service;
  }
  return HostKind::name;
}

}  // namespace mcpauth::core

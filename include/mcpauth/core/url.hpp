// URL handling on top of libcurl's URL API (RFC 3986 parsing and reference
// resolution are curl's job, not ours). Only http and https URLs exist here.
#pragma once

#include <string>
#include <string_view>

namespace mcpauth::core {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case; IPv6 literals keep their brackets
  int port = 0;        // the effective port (80/443 when the URL gives none)
  std::string path;    // as written, never with a '/' added or removed
  std::string query;   // without the '?'; empty when absent
  std::string text;    // the URL as given (trimmed), for messages and requests
};

// Parses an absolute http(s) URL. Throws mcpauth::Error(usage) naming the
// problem. User info ("user:pass@") is refused: credentials go in headers.
Url parse_url(std::string_view text);

// "scheme://host[:port]", the port only when it is not the scheme's default.
std::string origin_of(const Url& url);

// RFC 6454 same origin: scheme, host and effective port.
bool same_origin(const Url& a, const Url& b);

// Resolves `reference` (absolute, or relative as in an SSE `endpoint` event)
// against `base`. Throws Error(protocol) when the result is not an http(s) URL.
std::string resolve_reference(const Url& base, std::string_view reference);

// localhost, 127.0.0.0/8 and ::1 (bracketed or not), in their canonical
// spellings only: the hosts we may trust to be this machine (plain http, a
// loopback redirect, a gateway listening without an API key). Deliberately
// narrower than classify_host(), which must count every spelling of loopback
// (IPv4-mapped, "localhost.") as loopback to refuse it.
bool is_loopback_host(std::string_view host);

// What a host is when it is an IP literal (or "localhost"), for deciding
// whether a URL that a remote server chose may be fetched. A host name is
// `name`: its addresses are checked when connecting (net::AddressRules).
enum class HostKind {
  name,              // a DNS name, or an address of no special kind
  loopback,          // localhost, 127.0.0.0/8, ::1 (and IPv4-mapped forms)
  link_local,        // 169.254.0.0/16, fe80::/10
  unspecified,       // 0.0.0.0/8, :: (connecting to them reaches this machine)
  metadata_service,  // cloud instance metadata addresses outside link-local (fd00:ec2::254, 100.100.100.200)
};
HostKind classify_host(std::string_view host);

// Whether `host` is an IP literal of a private network: 10/8, 172.16/12,
// 192.168/16, 100.64/10 (shared address space), fc00::/7, and their
// IPv4-mapped forms. classify_host() leaves these `name`: a server may well
// live there; this is for callers that must keep others' URLs out of them.
bool is_private_network_host(std::string_view host);

}  // namespace mcpauth::core

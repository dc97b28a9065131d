#include "mcpauth/auth/discovery.hpp"

#include <algorithm>

#include "mcpauth/core/url.hpp"
#include "mcpauth/mcp/protocol.hpp"

namespace mcpauth::auth {
namespace {

using core::oauth::AuthChallenge;

std::optional<net::HttpResponse> fetch_metadata(const DiscoveryOptions& options, const std::string& url,
                                                bool required) {
  net::HttpRequest request;
  request.url = url;
  request.headers.set("Accept", "application/json");
  request.headers.set("MCP-Protocol-Version", std::string(mcp::kLatestLegacyVersion));
  request.total_timeout = options.http_timeout;
  request.max_response_bytes = core::oauth::kMaxMetadataBytes;
  request.follow_redirects = false;  // every hop would need the same checks; none are followed
  net::HttpResponse response;
  try {
    response = options.http->send(request);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::insecure_url) throw;  // refused by the address rules: say so, never guess on
    if (required) {
      throw Error(ErrorCode::auth_server_unreachable, std::string("cannot fetch metadata: ") + e.what(), url);
    }
    return std::nullopt;
  }
  if (response.status == 200) return response;
  if (required) {
    throw Error(ErrorCode::invalid_metadata,
                "GET " + url + " answered HTTP " + std::to_string(response.status) + " instead of the metadata", url,
                response.status);
  }
  return std::nullopt;
}

// Every URL in the documents that mcpauth will fetch or open: where the MCP
// server and its metadata may send it (never to local services it is not on).
void check_destinations(const Discovery& d, const core::Url& server) {
  using core::oauth::require_server_directed_url;
  if (!d.prm_url.empty()) require_server_directed_url(d.prm_url, "protected resource metadata URL", server);
  if (!d.as_url.empty()) require_server_directed_url(d.as_url, "authorization server metadata URL", server);
  require_server_directed_url(d.as.authorization_endpoint, "authorization_endpoint", server);
  require_server_directed_url(d.as.token_endpoint, "token_endpoint", server);
  for (const auto* endpoint :
       {&d.as.registration_endpoint, &d.as.revocation_endpoint, &d.as.device_authorization_endpoint}) {
    if (*endpoint) require_server_directed_url(**endpoint, "endpoint", server);
  }
}

// The documents of a stored record must come from where discovery would
// have fetched them for that issuer: a record never makes a client
// registered with one issuer talk to endpoints that another document names.
void check_fetched_from(const std::string& as_url, const std::string& issuer_base) {
  const auto candidates = core::oauth::authorization_server_metadata_urls(issuer_base);
  if (std::find(candidates.begin(), candidates.end(), as_url) == candidates.end()) {
    throw Error(
        ErrorCode::issuer_mismatch,
        "the stored authorization server metadata came from " + as_url + ", not from a metadata URL of " + issuer_base,
        as_url);
  }
}

void check_resource(const Discovery& d, const std::string& server_url) {
  if (!core::oauth::resource_matches(d.prm->resource, server_url)) {
    throw Error(ErrorCode::resource_mismatch,
                "the protected resource metadata of " + server_url + " describes \"" + d.prm->resource +
                    "\", another resource; refusing to authorize (the server may be misconfigured or hostile)",
                server_url);
  }
}

std::string chosen_issuer(const core::oauth::ProtectedResourceMetadata& prm, const DiscoveryOptions& options) {
  const auto& servers = prm.authorization_servers;
  if (options.preferred_issuer &&
      std::find(servers.begin(), servers.end(), *options.preferred_issuer) != servers.end()) {
    return *options.preferred_issuer;
  }
  return servers.front();
}

void apply_resource_options(Discovery& d, const DiscoveryOptions& options) {
  if (options.resource) d.resource = *options.resource;
  if (!options.send_resource) d.resource.reset();
}

}  // namespace

net::AddressRules server_directed_address_rules(const std::string& server_url) {
  const core::HostKind kind = core::classify_host(core::parse_url(server_url).host);
  net::AddressRules rules;
  rules.loopback = kind == core::HostKind::loopback;
  rules.link_local = kind != core::HostKind::name && kind != core::HostKind::loopback;
  return rules;
}

RestrictedHttpClient::RestrictedHttpClient(std::shared_ptr<net::HttpClient> inner, const std::string& server_url)
    : inner_(std::move(inner)),
      server_(core::parse_url(server_url)),
      rules_(server_directed_address_rules(server_url)) {}

// The MCP server's own origin is the user's choice, not the server's: its
// requests go wherever the MCP requests themselves go.
net::HttpRequest RestrictedHttpClient::restricted(const net::HttpRequest& request) const {
  net::HttpRequest out = request;
  bool own_origin = false;
  try {
    own_origin = core::same_origin(core::parse_url(request.url), server_);
  } catch (const Error&) {
  }
  if (!own_origin) out.addresses = rules_;
  return out;
}

net::HttpResponse RestrictedHttpClient::send(const net::HttpRequest& request, net::CancelToken* cancel) {
  return inner_->send(restricted(request), cancel);
}

void RestrictedHttpClient::stream(const net::HttpRequest& request, net::HttpStreamHandler& handler,
                                  net::CancelToken* cancel) {
  inner_->stream(restricted(request), handler, cancel);
}

std::shared_ptr<net::HttpClient> restrict_to_server_directed(std::shared_ptr<net::HttpClient> http,
                                                             const std::string& server_url) {
  if (std::dynamic_pointer_cast<RestrictedHttpClient>(http)) return http;
  return std::make_shared<RestrictedHttpClient>(std::move(http), server_url);
}

Discovery discover(const DiscoveryOptions& caller_options, const AuthChallenge& challenge) {
  DiscoveryOptions options = caller_options;
  options.http = restrict_to_server_directed(options.http, options.server_url);
  const core::Url server = core::parse_url(options.server_url);
  Discovery d;
  // 1. Protected Resource Metadata: the URL the server named, or else the
  //    well-known locations in order. A named URL that fails is not replaced by guesses.
  if (challenge.resource_metadata) {
    core::oauth::require_server_directed_url(*challenge.resource_metadata, "protected resource metadata URL", server);
    const auto response = fetch_metadata(options, *challenge.resource_metadata, true);
    d.prm = core::oauth::parse_protected_resource_metadata(response->body, *challenge.resource_metadata);
    d.prm_url = *challenge.resource_metadata;
  } else {
    for (const auto& url : core::oauth::protected_resource_metadata_urls(options.server_url)) {
      if (const auto response = fetch_metadata(options, url, false)) {
        d.prm = core::oauth::parse_protected_resource_metadata(response->body, url);
        d.prm_url = url;
        break;
      }
    }
  }

  if (d.prm) {
    check_resource(d, options.server_url);
    d.resource = d.prm->resource;
    const std::string issuer = chosen_issuer(*d.prm, options);
    core::oauth::require_server_directed_url(issuer, "authorization server", server);
    std::vector<std::string> tried;
    for (const auto& url : core::oauth::authorization_server_metadata_urls(issuer)) {
      tried.push_back(url);
      if (const auto response = fetch_metadata(options, url, false)) {
        d.as = core::oauth::parse_authorization_server_metadata(response->body, url, issuer);
        d.as_url = url;
        break;
      }
    }
    if (d.as.issuer.empty()) {
      std::string list;
      for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
      throw Error(ErrorCode::invalid_metadata,
                  "no authorization server metadata found for " + issuer + " (tried " + list + ")", issuer);
    }
  } else {
    // 2025-03-26: no PRM; the server's origin is the authorization server
    // (its metadata optional, endpoints defaulted), and the issuer it names
    // must be that origin.
    d.resource = options.server_url;
    const std::string origin = core::origin_of(server);
    for (const auto& url : core::oauth::authorization_server_metadata_urls(origin)) {
      if (const auto response = fetch_metadata(options, url, false)) {
        d.as = core::oauth::parse_authorization_server_metadata(response->body, url, std::nullopt);
        core::oauth::require_origin_issuer(d.as, origin, url);
        d.as_url = url;
        break;
      }
    }
    if (d.as.issuer.empty()) d.as = core::oauth::default_authorization_server_metadata(options.server_url);
  }
  check_destinations(d, server);
  apply_resource_options(d, options);
  return d;
}

std::string resource_key(const Discovery& discovery, const std::string& server_url) {
  return discovery.resource.value_or(server_url);
}

store::DiscoveryRecord to_record(const Discovery& d, const std::string& server_url) {
  store::DiscoveryRecord record;
  record.server_url = server_url;
  record.resource = d.resource;
  record.issuer = d.as.issuer;
  if (d.prm) {
    record.prm_url = d.prm_url;
    record.prm_body = d.prm->raw.dump();
  }
  if (!d.as.from_defaults) {
    record.as_url = d.as_url;
    record.as_body = d.as.raw.dump();
  }
  record.fetched_at = store::Clock::now();
  return record;
}

Discovery from_record(const store::DiscoveryRecord& record, const DiscoveryOptions& options) {
  const core::Url server = core::parse_url(options.server_url);
  Discovery d;
  if (!record.prm_url.empty()) {
    d.prm = core::oauth::parse_protected_resource_metadata(record.prm_body, record.prm_url);
    d.prm_url = record.prm_url;
    check_resource(d, options.server_url);
    d.resource = d.prm->resource;
    const std::string issuer = chosen_issuer(*d.prm, options);
    if (issuer != record.issuer) {
      throw Error(ErrorCode::invalid_metadata, "the stored discovery of " + options.server_url + " is for " +
                                                   record.issuer + ", not the chosen " + issuer);
    }
    check_fetched_from(record.as_url, issuer);
    d.as = core::oauth::parse_authorization_server_metadata(record.as_body, record.as_url, issuer);
    d.as_url = record.as_url;
  } else {
    d.resource = options.server_url;
    const std::string origin = core::origin_of(server);
    if (record.as_url.empty()) {
      d.as = core::oauth::default_authorization_server_metadata(options.server_url);
    } else {
      check_fetched_from(record.as_url, origin);
      d.as = core::oauth::parse_authorization_server_metadata(record.as_body, record.as_url, std::nullopt);
      core::oauth::require_origin_issuer(d.as, origin, record.as_url);
      d.as_url = record.as_url;
    }
    if (d.as.issuer != record.issuer) {
      throw Error(ErrorCode::invalid_metadata, "the stored discovery of " + options.server_url + " is for " +
                                                   record.issuer + ", not " + d.as.issuer);
    }
  }
  check_destinations(d, server);
  apply_resource_options(d, options);
  return d;
}

}  // namespace mcpauth::auth

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

Discovery discover(const DiscoveryOptions& options, const AuthChallenge& challenge) {
  Discovery d;
  // 1. Protected Resource Metadata: the URL the server named, or else the
  //    well-known locations in order. A named URL that fails is not replaced by guesses.
  if (challenge.resource_metadata) {
    core::oauth::require_secure_url(*challenge.resource_metadata, "protected resource metadata URL");
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
    core::oauth::require_secure_url(issuer, "authorization server");
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
    // 2025-03-26: no PRM; the server's origin is the authorization server,
    // its metadata optional, its issuer not checked, endpoints defaulted.
    d.resource = options.server_url;
    const std::string origin = core::origin_of(core::parse_url(options.server_url));
    for (const auto& url : core::oauth::authorization_server_metadata_urls(origin)) {
      if (const auto response = fetch_metadata(options, url, false)) {
        d.as = core::oauth::parse_authorization_server_metadata(response->body, url, std::nullopt);
        d.as_url = url;
        break;
      }
    }
    if (d.as.issuer.empty()) d.as = core::oauth::default_authorization_server_metadata(options.server_url);
  }
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
    d.as = core::oauth::parse_authorization_server_metadata(record.as_body, record.as_url, issuer);
    d.as_url = record.as_url;
  } else {
    d.resource = options.server_url;
    if (record.as_url.empty()) {
      d.as = core::oauth::default_authorization_server_metadata(options.server_url);
    } else {
      d.as = core::oauth::parse_authorization_server_metadata(record.as_body, record.as_url, std::nullopt);
      d.as_url = record.as_url;
    }
  }
  apply_resource_options(d, options);
  return d;
}

}  // namespace mcpauth::auth

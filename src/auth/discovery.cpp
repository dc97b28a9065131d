#include "mcpauth/auth/discovery.hpp"

#include "mcpauth/core/url.hpp"
#include "mcpauth/mcp/protocol.hpp"

namespace mcpauth::auth {
namespace {

core::oauth::DiscoveryPolicy policy_of(const DiscoveryOptions& options) {
  return {options.server_url, options.resource, options.preferred_issuer, options.send_resource};
}

}  // namespace

core::oauth::HttpAnswer http_answer(const net::HttpResponse& response) {
  core::oauth::HttpAnswer answer;
  answer.status = response.status;
  for (const auto& header : response.headers) answer.headers.emplace_back(header.name, header.value);
  answer.body = response.body;
  return answer;
}

net::HttpRequest metadata_request(const std::string& url, std::chrono::milliseconds timeout) {
  net::HttpRequest request;
  request.url = url;
  request.headers.set("Accept", "application/json");
  request.headers.set("MCP-Protocol-Version", std::string(mcp::kLatestLegacyVersion));
  request.total_timeout = timeout;
  request.max_response_bytes = core::oauth::kMaxMetadataBytes;
  request.follow_redirects = false;  // every hop would need the same checks; none are followed
  return request;
}

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

Discovery discover(const DiscoveryOptions& caller_options, const core::oauth::AuthChallenge& challenge) {
  const auto http = restrict_to_server_directed(caller_options.http, caller_options.server_url);
  core::oauth::DiscoveryFlow flow(policy_of(caller_options), challenge);
  using State = core::oauth::DiscoveryState;
  while (flow.state() == State::fetching_resource_metadata || flow.state() == State::fetching_server_metadata) {
    net::HttpResponse response;
    try {
      response = http->send(metadata_request(flow.fetch().url, caller_options.http_timeout));
    } catch (const Error& e) {
      flow.on_transport_failure(e);
      continue;
    }
    flow.on_answer(http_answer(response));
  }
  if (flow.state() == State::failed) std::rethrow_exception(flow.error());
  return flow.result();
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

Discovery from_record(const store::DiscoveryRecord& record, const core::oauth::DiscoveryPolicy& policy) {
  return core::oauth::discovery_from_stored(
      {record.issuer, record.prm_url, record.prm_body, record.as_url, record.as_body}, policy);
}

Discovery from_record(const store::DiscoveryRecord& record, const DiscoveryOptions& options) {
  return from_record(record, policy_of(options));
}

}  // namespace mcpauth::auth

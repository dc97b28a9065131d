#include "mcpauth/core/oauth/discovery.hpp"

#include <algorithm>

#include "guarded_step.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"

namespace mcpauth::core::oauth {
namespace {

// Every URL in the documents that mcpauth will fetch or open: where the MCP
// server and its metadata may send it (never to local services it is not on).
void check_destinations(const Discovery& d, const Url& server) {
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
  const auto candidates = authorization_server_metadata_urls(issuer_base);
  if (std::find(candidates.begin(), candidates.end(), as_url) == candidates.end()) {
    throw Error(
        ErrorCode::issuer_mismatch,
        "the stored authorization server metadata came from " + as_url + ", not from a metadata URL of " + issuer_base,
        as_url);
  }
}

void check_resource(const ProtectedResourceMetadata& prm, const std::string& server_url) {
  if (!resource_matches(prm.resource, server_url)) {
    throw Error(ErrorCode::resource_mismatch,
                "the protected resource metadata of " + server_url + " describes \"" + prm.resource +
                    "\", another resource; refusing to authorize (the server may be misconfigured or hostile)",
                server_url);
  }
}

std::string chosen_issuer(const ProtectedResourceMetadata& prm, const DiscoveryPolicy& policy) {
  const auto& servers = prm.authorization_servers;
  if (policy.preferred_issuer && std::find(servers.begin(), servers.end(), *policy.preferred_issuer) != servers.end()) {
    return *policy.preferred_issuer;
  }
  return servers.front();
}

void apply_resource_policy(Discovery& d, const DiscoveryPolicy& policy) {
  if (policy.resource) d.resource = *policy.resource;
  if (!policy.send_resource) d.resource.reset();
}

bool lists_es256(const Json& doc) {
  const auto algs = doc.find("dpop_signing_alg_values_supported");
  return algs != doc.end() && algs->is_array() && std::find(algs->begin(), algs->end(), "ES256") != algs->end();
}

}  // namespace

std::optional<std::string> HttpAnswer::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::string_view to_string(DiscoveryState state) noexcept {
  switch (state) {
    case DiscoveryState::fetching_resource_metadata: return "fetching_resource_metadata";
    case DiscoveryState::fetching_server_metadata: return "fetching_server_metadata";
    case DiscoveryState::done: return "done";
    case DiscoveryState::failed: return "failed";
  }
  return "unknown";
}

// Runs one step; a check that throws ends discovery with that Error.
template <class F>
void DiscoveryFlow::guarded(F&& step) {
  detail::run_guarded(step, [this](std::exception_ptr error) { fail(std::move(error)); });
}

DiscoveryFlow::DiscoveryFlow(DiscoveryPolicy policy, AuthChallenge challenge) : policy_(std::move(policy)) {
  guarded([&] {
    // The URL the server named, or else the well-known locations in order.
    // A named URL that fails is not replaced by guesses.
    if (challenge.resource_metadata) {
      require_server_directed_url(*challenge.resource_metadata, "protected resource metadata URL",
                                  parse_url(policy_.server_url));
      candidates_ = {*challenge.resource_metadata};
      fetch_ = {candidates_.front(), true};
    } else {
      candidates_ = protected_resource_metadata_urls(policy_.server_url);
      fetch_ = {candidates_.front(), false};
    }
  });
}

const FetchMetadata& DiscoveryFlow::fetch() const {
  if (state_ != DiscoveryState::fetching_resource_metadata && state_ != DiscoveryState::fetching_server_metadata) {
    throw Error(ErrorCode::usage, "discovery fetches nothing in state " + std::string(to_string(state_)));
  }
  return fetch_;
}

const Discovery& DiscoveryFlow::result() const {
  if (state_ != DiscoveryState::done) {
    throw Error(ErrorCode::usage, "discovery has no result in state " + std::string(to_string(state_)));
  }
  return discovery_;
}

void DiscoveryFlow::fail(std::exception_ptr error) {
  error_ = std::move(error);
  state_ = DiscoveryState::failed;
}

void DiscoveryFlow::on_answer(const HttpAnswer& answer) {
  const std::string url = fetch().url;
  guarded([&] {
    if (answer.status != 200) {
      if (fetch_.required) {
        throw Error(ErrorCode::invalid_metadata,
                    "GET " + url + " answered HTTP " + std::to_string(answer.status) + " instead of the metadata", url,
                    answer.status);
      }
      return next_candidate();
    }
    if (state_ == DiscoveryState::fetching_resource_metadata) {
      discovery_.prm = parse_protected_resource_metadata(answer.body, url);
      discovery_.prm_url = url;
      return start_server_metadata();
    }
    discovery_.as = parse_authorization_server_metadata(answer.body, url, issuer_);
    if (!issuer_) require_origin_issuer(discovery_.as, origin_, url);
    discovery_.as_url = url;
    finish();
  });
}

void DiscoveryFlow::on_transport_failure(const Error& error) {
  const std::string url = fetch().url;
  guarded([&] {
    if (error.code() == ErrorCode::insecure_url) throw error;  // refused by the address rules: say so, never guess on
    if (fetch_.required) {
      throw Error(ErrorCode::auth_server_unreachable, std::string("cannot fetch metadata: ") + error.what(), url);
    }
    next_candidate();
  });
}

void DiscoveryFlow::next_candidate() {
  if (++index_ < candidates_.size()) {
    fetch_.url = candidates_[index_];
    return;
  }
  if (state_ == DiscoveryState::fetching_resource_metadata) return start_server_metadata();  // no PRM: 2025-03-26
  if (issuer_) {
    std::string list;
    for (const auto& t : candidates_) list += (list.empty() ? "" : ", ") + t;
    throw Error(ErrorCode::invalid_metadata,
                "no authorization server metadata found for " + *issuer_ + " (tried " + list + ")", *issuer_);
  }
  discovery_.as = default_authorization_server_metadata(policy_.server_url);
  finish();
}

void DiscoveryFlow::start_server_metadata() {
  state_ = DiscoveryState::fetching_server_metadata;
  if (discovery_.prm) {
    check_resource(*discovery_.prm, policy_.server_url);
    discovery_.resource = discovery_.prm->resource;
    issuer_ = chosen_issuer(*discovery_.prm, policy_);
    require_server_directed_url(*issuer_, "authorization server", parse_url(policy_.server_url));
    candidates_ = authorization_server_metadata_urls(*issuer_);
  } else {
    // 2025-03-26: no PRM; the server's origin is the authorization server
    // (its metadata optional, endpoints defaulted), and the issuer it names
    // must be that origin.
    discovery_.resource = policy_.server_url;
    origin_ = origin_of(parse_url(policy_.server_url));
    candidates_ = authorization_server_metadata_urls(origin_);
  }
  index_ = 0;
  fetch_ = {candidates_.front(), false};
}

void DiscoveryFlow::finish() {
  check_destinations(discovery_, parse_url(policy_.server_url));
  apply_resource_policy(discovery_, policy_);
  state_ = DiscoveryState::done;
}

Discovery discovery_from_stored(const StoredDiscovery& stored, const DiscoveryPolicy& policy) {
  const Url server = parse_url(policy.server_url);
  Discovery d;
  if (!stored.prm_url.empty()) {
    d.prm = parse_protected_resource_metadata(stored.prm_body, stored.prm_url);
    d.prm_url = stored.prm_url;
    check_resource(*d.prm, policy.server_url);
    d.resource = d.prm->resource;
    const std::string issuer = chosen_issuer(*d.prm, policy);
    if (issuer != stored.issuer) {
      throw Error(ErrorCode::invalid_metadata, "the stored discovery of " + policy.server_url + " is for " +
                                                   stored.issuer + ", not the chosen " + issuer);
    }
    check_fetched_from(stored.as_url, issuer);
    d.as = parse_authorization_server_metadata(stored.as_body, stored.as_url, issuer);
    d.as_url = stored.as_url;
  } else {
    d.resource = policy.server_url;
    const std::string origin = origin_of(server);
    if (stored.as_url.empty()) {
      d.as = default_authorization_server_metadata(policy.server_url);
    } else {
      check_fetched_from(stored.as_url, origin);
      d.as = parse_authorization_server_metadata(stored.as_body, stored.as_url, std::nullopt);
      require_origin_issuer(d.as, origin, stored.as_url);
      d.as_url = stored.as_url;
    }
    if (d.as.issuer != stored.issuer) {
      throw Error(ErrorCode::invalid_metadata,
                  "the stored discovery of " + policy.server_url + " is for " + stored.issuer + ", not " + d.as.issuer);
    }
  }
  check_destinations(d, server);
  apply_resource_policy(d, policy);
  return d;
}

std::string resource_key(const Discovery& discovery, const std::string& server_url) {
  return discovery.resource.value_or(server_url);
}

bool dpop_available(const Discovery& d, const AuthChallenge& challenge) {
  bool resource_takes_dpop = challenge.dpop;
  if (d.prm) {
    resource_takes_dpop = resource_takes_dpop || lists_es256(d.prm->raw) ||
                          d.prm->raw.value("dpop_bound_access_tokens_required", Json(false)) == true;
  }
  return lists_es256(d.as.raw) && resource_takes_dpop;
}

}  // namespace mcpauth::core::oauth

#include "mcpauth/auth/revocation.hpp"

#include "form_post.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/core/oauth/revocation.hpp"
#include "random.hpp"

namespace mcpauth::auth {
namespace {

// One revocation request; true when the server confirmed it.
bool revoke(net::HttpClient& http, const std::string& endpoint, const std::string& token, const char* hint,
            const core::oauth::ClientRegistration& client, std::chrono::milliseconds timeout,
            std::vector<std::string>& problems) {
  const auto form =
      core::oauth::revocation_request(endpoint, token, hint, client, core::oauth::Clock::now(), detail::random_token());
  const net::HttpRequest request = detail::form_post(form, timeout);
  try {
    const auto response = http.send(request);
    core::oauth::check_revocation_response(response.status, response.body, request.url,
                                           response.headers.get("Retry-After").value_or(""));
    return true;
  } catch (const Error& e) {
    problems.push_back(std::string(hint == std::string("refresh_token") ? "refresh" : "access") +
                       " token not revoked: " + e.what());
    return false;
  }
}

}  // namespace

RevocationOutcome revoke_tokens(net::HttpClient& http, const core::oauth::AuthorizationServerMetadata& metadata,
                                const core::oauth::ClientRegistration& client, const core::oauth::TokenSet& tokens,
                                std::chrono::milliseconds timeout) {
  RevocationOutcome outcome;
  if (!metadata.revocation_endpoint) {
    outcome.problems.push_back(metadata.issuer +
                               " publishes no revocation endpoint: its tokens stay valid there until they expire");
    return outcome;
  }
  outcome.endpoint = true;
  const std::string& endpoint = *metadata.revocation_endpoint;
  if (tokens.refresh_token) {
    outcome.refresh_token_revoked =
        revoke(http, endpoint, *tokens.refresh_token, "refresh_token", client, timeout, outcome.problems);
  }
  if (!tokens.access_token.empty()) {
    outcome.access_token_revoked =
        revoke(http, endpoint, tokens.access_token, "access_token", client, timeout, outcome.problems);
  }
  return outcome;
}

RevocationOutcome revoke_grant(net::HttpClient& http, store::ClientStore& store, const store::GrantRecord& grant,
                               const std::optional<store::DiscoveryRecord>& discovery,
                               std::chrono::milliseconds timeout) {
  RevocationOutcome outcome;
  if (grant.error) {
    outcome.problems.push_back("the stored tokens cannot be decrypted, so they cannot be revoked");
    return outcome;
  }
  if (!discovery) {
    outcome.problems.push_back("nothing is known about the authorization server of these tokens");
    return outcome;
  }
  DiscoveryOptions options;
  options.server_url = discovery->server_url;
  Discovery found;
  try {
    found = from_record(*discovery, options);
  } catch (const Error& e) {
    outcome.problems.push_back(std::string("the stored authorization server metadata is unusable: ") + e.what());
    return outcome;
  }
  auto client = store.load_client(grant.key.issuer);
  if (!client || client->client_id != grant.key.client_id) {
    client = core::oauth::ClientRegistration{};  // a replaced registration: revoke as the public client it was
    client->issuer = grant.key.issuer;
    client->client_id = grant.key.client_id;
  }
  // The revocation endpoint came from the server's metadata: the same address rules as every OAuth request.
  RestrictedHttpClient restricted(std::shared_ptr<net::HttpClient>(&http, [](net::HttpClient*) {}),
                                  discovery->server_url);
  outcome = revoke_tokens(restricted, found.as, *client, grant.tokens, timeout);
  outcome.grant_revoked = grant.tokens.refresh_token ? outcome.refresh_token_revoked : outcome.access_token_revoked;
  return outcome;
}

}  // namespace mcpauth::auth

// `mcpauth logout`: revoke at the authorization server, then delete here.
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/auth/revocation.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "server_config.hpp"
#include "stored_grants.hpp"

namespace mcpauth::app {
namespace {

struct Target {
  std::string url;  // "" for a grant no discovery record explains
  std::optional<store::DiscoveryRecord> discovery;
  store::GrantRecord grant;
};

std::string describe(const Target& t) {
  std::string text = t.url.empty() ? t.grant.key.resource : t.url;
  if (!t.grant.key.account.empty()) text += " (account " + t.grant.key.account + ")";
  return text;
}

std::vector<Target> every_grant(const StoredGrants& stored) {
  std::vector<Target> out;
  for (const auto& record : stored.servers()) {
    for (auto& grant : stored.for_server(record.server_url).grants) out.push_back({record.server_url, record, grant});
  }
  for (auto& grant : stored.unattached()) out.push_back({"", std::nullopt, grant});
  return out;
}

std::vector<Target> grants_of_server(const StoredGrants& stored, const LogoutArgs& args, const EnvLookup& env) {
  const std::optional<Config> config = load_config_option(args.config_path, env);
  const ServerConfig server = resolve_server(args.target, config, env);
  const std::string account = args.account.empty() ? server.account : args.account;
  ServerGrants found = stored.for_server(core::parse_url(server.url).text);
  std::vector<Target> out;
  for (auto& grant : found.grants) {
    if (args.all || grant.key.account == account) out.push_back({found.url, found.discovery, grant});
  }
  return out;
}

// Revokes what can be revoked. The grant counts as revoked when its refresh
// token is (that ends the grant at the authorization server), or, without
// one, when the access token is; what else failed is reported.
auth::RevocationOutcome revoke(net::HttpClient& http, store::TokenStore& store, const Target& t) {
  auth::RevocationOutcome outcome;
  if (t.grant.error) {
    outcome.problems.push_back("the stored tokens cannot be decrypted, so they cannot be revoked");
    return outcome;
  }
  if (!t.discovery) {
    outcome.problems.push_back("nothing is known about the authorization server of these tokens");
    return outcome;
  }
  auth::DiscoveryOptions options;
  options.server_url = t.discovery->server_url;
  auth::Discovery discovery;
  try {
    discovery = auth::from_record(*t.discovery, options);
  } catch (const Error& e) {
    outcome.problems.push_back(std::string("the stored authorization server metadata is unusable: ") + e.what());
    return outcome;
  }
  auto client = store.load_client(t.grant.key.issuer);
  if (!client || client->client_id != t.grant.key.client_id) {
    client = core::oauth::ClientRegistration{};  // a replaced registration: revoke as the public client it was
    client->issuer = t.grant.key.issuer;
    client->client_id = t.grant.key.client_id;
  }
  // The revocation endpoint came from the server's metadata: the same address rules as every OAuth request.
  auth::RestrictedHttpClient restricted(std::shared_ptr<net::HttpClient>(&http, [](net::HttpClient*) {}),
                                        t.discovery->server_url);
  return auth::revoke_tokens(restricted, discovery.as, *client, t.grant.tokens, std::chrono::milliseconds(30'000));
}

bool grant_revoked(const Target& t, const auth::RevocationOutcome& outcome) {
  return t.grant.tokens.refresh_token ? outcome.refresh_token_revoked : outcome.access_token_revoked;
}

}  // namespace

int run_logout(const LogoutArgs& args) {
  const EnvLookup env = process_environment();
  if (args.target.empty() && !args.all) {
    throw Error(ErrorCode::usage, "name a server to log out of, or pass --all to log out of every stored server");
  }
  auto store = open_user_store(env);
  const StoredGrants stored(*store);
  const auto targets = args.target.empty() ? every_grant(stored) : grants_of_server(stored, args, env);
  if (targets.empty()) {
    std::cout << "Nothing to log out of: no tokens are stored" << (args.target.empty() ? "" : " for " + args.target)
              << ".\n";
    return kExitOk;
  }
  net::CurlHttpClient http;
  for (const auto& target : targets) {
    const auto outcome = revoke(http, *store, target);
    store->remove_tokens(target.grant.key);  // whatever the authorization server said
    if (grant_revoked(target, outcome)) {
      std::cout << "Logged out of " << describe(target) << ": revoked at " << target.grant.key.issuer
                << " and deleted here.\n";
    } else {
      std::cout << "Logged out of " << describe(target) << ": deleted here, NOT revoked at the authorization "
                << "server.\n";
    }
    for (const auto& problem : outcome.problems) std::cerr << "mcpauth: note: " << problem << '\n';
  }
  return kExitOk;
}

}  // namespace mcpauth::app

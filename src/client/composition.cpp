#include "mcpauth/composition.hpp"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/net/logging_http_client.hpp"
#include "mcpauth/store/user_store.hpp"

namespace mcpauth {
namespace {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

std::shared_ptr<net::HttpClient> http_of(const ClientOptions& options) {
  return net::with_exchange_log(options.http ? options.http : std::make_shared<net::CurlHttpClient>(), options.log);
}

std::shared_ptr<store::TokenStore> store_of(const ClientOptions& options) {
  if (options.store) return options.store;
  const auto env = options.env ? options.env : process_env;
  if (options.store_url.empty()) return store::open_user_token_store(env);
  const std::string url = options.store_url;
  return store::open_user_token_store([env, url](const std::string& name) -> std::optional<std::string> {
    return name == "MCPAUTH_STORE_URL" ? std::optional<std::string>(url) : env(name);
  });
}

std::shared_ptr<auth::ConsentHandler> consent_of(const ClientOptions& options) {
  if (options.consent || !options.default_consent) return options.consent;
  auth::LoopbackConsentOptions consent;
  // The URL must reach the user: without a sink of the host's, the documented default is stderr.
  consent.notify = options.notify ? options.notify : [](const std::string& line) { std::cerr << line << std::endl; };
  return std::make_shared<auth::LoopbackConsent>(consent);
}

// The one mapping from ClientOptions to AuthorizerOptions; `http` and
// `store` already resolved, so a composition's session and Authorizer share them.
std::shared_ptr<auth::Authorizer> authorizer_for(const ClientOptions& options, std::shared_ptr<net::HttpClient> http,
                                                 std::shared_ptr<store::TokenStore> store) {
  auth::AuthorizerOptions a;
  a.server_url = options.url;
  a.http = std::move(http);
  a.store = std::move(store);
  a.consent = consent_of(options);
  a.client = options.client;
  a.scope = options.scope;
  a.resource = options.resource;
  a.send_resource = options.send_resource;
  a.grant = options.grant;
  a.client_name = options.client_name;
  a.account = options.account;
  a.consent_timeout = options.consent_timeout;
  a.http_timeout = options.http_timeout;
  a.max_authorizations = options.max_authorizations;
  a.notify = options.notify;
  a.refreshing_changed = options.refreshing_changed;
  a.grant_refused = options.grant_refused;
  a.extra_authorization_params = options.extra_authorization_params;
  a.refresh_margin = options.refresh_margin;
  a.log = options.log;
  return std::make_shared<auth::Authorizer>(std::move(a));
}

}  // namespace

bool uses_oauth(const ClientOptions& options) {
  // A static Authorization header means the caller chose the credentials.
  return options.oauth && !options.headers.contains("Authorization");
}

Composition compose(const ClientOptions& options) {
  Composition c;
  c.session.url = options.url;
  c.session.transport = options.transport;
  c.session.http = http_of(options);
  c.session.connect_timeout = options.connect_timeout;
  c.session.request_timeout = options.request_timeout;
  c.session.client_info = options.client_info;
  if (uses_oauth(options)) {
    c.store = store_of(options);
    c.authorizer = authorizer_for(options, c.session.http, c.store);
  }
  c.session.authorizer = auth::credentials(c.authorizer, options.headers);
  return c;
}

std::shared_ptr<auth::Authorizer> make_authorizer(const ClientOptions& options) {
  return authorizer_for(options, http_of(options), store_of(options));
}

}  // namespace mcpauth

// The MCP authorization client: plugs into the transports' credential seam
// (mcp::RequestAuthorizer) and makes a server that answers 401 usable.
//
// On 401 it discovers (Protected Resource Metadata, then authorization
// server metadata), obtains a client id (pre-registered, Client ID Metadata
// Document, or Dynamic Client Registration, bound to the issuer), runs the
// authorization code flow with PKCE S256, state and RFC 9207 iss checks
// through a ConsentHandler, and stores the tokens. It refreshes before
// expiry, refreshes first on invalid_token, steps up on 403
// insufficient_scope with the union of scopes, and bounds every retry.
// A token is only ever attached to requests for the server's own origin.
// What to do with each 401/403 is decided by core::oauth::plan_rejection();
// this class gathers the facts and carries the plan out.
//
// Threading: every member may be called from any thread. apply() and info()
// never wait for a person: a consent (or a device approval, or another
// process's consent) runs without the state lock, so requests go on carrying
// the current token meanwhile. on_rejected() calls that need an authorization
// run one at a time, and may block for as long as the consent takes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mcpauth/auth/consent.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/auth/dpop.hpp"
#include "mcpauth/core/oauth/client_choice.hpp"
#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/rejection.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/mcp/request_authorizer.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::auth {

// What the user configured about the client identity (all optional).
using ClientConfig = core::oauth::ClientSettings;

// How tokens are obtained.
enum class Grant {
  authorization_code,  // a user consents in a browser (the default)
  client_credentials,  // a machine client with its own credentials
  jwt_bearer,          // RFC 7523: a given assertion (e.g. a workload identity token)
  identity_assertion,  // SEP-990: RFC 8693 exchange of an ID token at an IdP, then jwt_bearer
  device_code,         // RFC 8628: the user approves on another device with a short code (headless)
};

// The identity provider of an enterprise-managed authorization (SEP-990).
struct IdentityProviderConfig {
  std::string token_endpoint;
  std::string client_id;
  std::optional<std::string> client_secret;
  std::string id_token;  // the user's ID token issued by that IdP
};

struct AuthorizerOptions {
  std::string server_url;
  std::shared_ptr<net::HttpClient> http;     // required
  std::shared_ptr<store::TokenStore> store;  // null: kept in memory
  std::shared_ptr<ConsentHandler> consent;   // null: Error(authorization_required) instead of asking
  ClientConfig client;
  std::optional<std::string> scope;     // replaces the specification's scope selection
  std::optional<std::string> resource;  // replaces the RFC 8707 resource value
  bool use_dpop = true;                 // sender-constrained DPoP tokens when the authorization server offers ES256
  bool send_resource = true;            // false for servers that reject it (Entra)
  Grant grant = Grant::authorization_code;
  std::optional<std::string> assertion;                     // for Grant::jwt_bearer
  std::optional<IdentityProviderConfig> identity_provider;  // for Grant::identity_assertion
  std::string client_name = "mcpauth";
  std::string account;                                 // a name for several grants at one server
  std::chrono::milliseconds consent_timeout{300'000};  // also how long to wait for another process's consent
  std::chrono::milliseconds http_timeout{30'000};
  std::chrono::seconds refresh_margin{60};         // refresh this long before expiry
  int max_authorizations = 3;                      // per Authorizer, step-ups included
  std::function<void(const std::string&)> notify;  // progress lines for the user; default: none
  // Grant::device_code: shows the user the code and where to enter it. Default: through notify.
  std::function<void(const core::oauth::DeviceAuthorization&)> device_prompt;
};

// What an authorization produced, for display. Never a token.
struct AuthorizationInfo {
  std::string issuer;
  std::string client_id;
  core::oauth::ClientKind client_kind = core::oauth::ClientKind::dynamic;
  std::optional<std::string> resource;
  std::optional<std::string> scope;
  std::optional<core::oauth::Clock::time_point> expires_at;
  bool has_refresh_token = false;
};

class Authorizer final : public mcp::RequestAuthorizer {
 public:
  explicit Authorizer(AuthorizerOptions options);

  void apply(net::HttpRequest& request) override;
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) override;

  // The access token requests to the server carry now (restored from the
  // store, refreshed first when about to expire), or nullopt without one.
  // Never asks anybody: an authorization starts only from a server's 401.
  std::optional<std::string> access_token();

  // The current authorization, if one was obtained.
  std::optional<AuthorizationInfo> info() const;
  int authorizations() const;

 private:
  class FlowClaim;
  // Points held_ at the state lock for the length of one carry_out_locked().
  struct HeldLock {
    HeldLock(std::unique_lock<std::mutex>*& slot, std::unique_lock<std::mutex>& lock) : slot_(slot) { slot_ = &lock; }
    ~HeldLock() { slot_ = nullptr; }
    HeldLock(const HeldLock&) = delete;
    HeldLock& operator=(const HeldLock&) = delete;
    std::unique_lock<std::mutex>*& slot_;
  };

  core::oauth::RejectionPlan plan_rejection_locked(const net::HttpRequest& request,
                                                   const mcp::Rejection& rejection) const;
  bool carry_out_locked(const core::oauth::RejectionPlan& plan, const net::HttpRequest& request, int status);
  void while_unlocked(const std::function<void()>& wait);

  DiscoveryOptions discovery_options() const;
  void restore_locked();
  const core::oauth::TokenSet* fresh_tokens_locked();
  bool adopt_stored_locked(const Discovery& discovery, const std::string& rejected);
  void authorize_locked(const core::oauth::AuthChallenge& challenge, const std::optional<std::string>& scope_hint,
                        const std::string& rejected);
  core::oauth::TokenSet obtain_tokens(const Discovery& discovery, const std::optional<std::string>& scope);
  void prepare_dpop(const Discovery& discovery, const core::oauth::AuthChallenge& challenge);
  void forget_other_clients_grants();
  core::oauth::ClientRegistration obtain_client(const Discovery& discovery, const std::string& redirect_uri,
                                                const std::optional<std::string>& scope);
  core::oauth::TokenSet authorization_code_flow(const Discovery& discovery, const std::optional<std::string>& scope);
  core::oauth::TokenSet client_credentials_flow(const Discovery& discovery, const std::optional<std::string>& scope);
  core::oauth::TokenSet device_flow(const Discovery& discovery, const std::optional<std::string>& scope);
  core::oauth::TokenSet assertion_flow(const Discovery& discovery, const std::optional<std::string>& scope);
  bool refresh_locked();
  void adopt(core::oauth::TokenSet tokens);
  core::oauth::TokenSet exchange(const core::oauth::TokenRequest& request, const std::optional<std::string>& scope,
                                 const std::optional<std::string>& previous_refresh);
  net::HttpResponse post_form(const core::oauth::TokenRequest& request);
  net::HttpResponse send_token_request(net::HttpRequest& request);
  void notify(const std::string& line) const;

  AuthorizerOptions options_;
  core::Url server_;
  // Lock order: flow_mutex_, then mutex_. flow_mutex_ makes authorizations
  // single-flight and is held while a person is waited for; mutex_ guards the
  // state below and is never held while waiting for a person (refreshes, a
  // network exchange, run under it).
  std::mutex flow_mutex_;
  mutable std::mutex mutex_;
  std::unique_lock<std::mutex>* held_ = nullptr;  // mutex_, held by the thread holding flow_mutex_
  std::optional<Discovery> discovery_;
  std::optional<core::oauth::ClientRegistration> client_;
  std::optional<store::TokenKey> key_;
  bool restored_ = false;  // the store was consulted for an earlier authorization
  std::optional<core::oauth::TokenSet> tokens_;
  std::optional<std::string> requested_scope_;
  std::string refreshed_for_;  // the access token a refresh already replaced once
  int authorizations_ = 0;
  std::unique_ptr<DpopKey> dpop_;        // set when the authorization server and the resource both take DPoP
  bool bearer_only_ = false;             // the resource refused a DPoP-bound token: never DPoP again
  std::optional<std::string> as_nonce_;  // DPoP-Nonce of the authorization server
  std::optional<std::string> rs_nonce_;  // DPoP-Nonce of the MCP server
};

// Composes credential sources: each apply() in order; the first
// on_rejected() that wants a retry wins.
class CompositeAuthorizer final : public mcp::RequestAuthorizer {
 public:
  explicit CompositeAuthorizer(std::vector<std::shared_ptr<mcp::RequestAuthorizer>> parts) : parts_(std::move(parts)) {}
  void apply(net::HttpRequest& request) override {
    for (auto& p : parts_) p->apply(request);
  }
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) override {
    for (auto& p : parts_) {
      if (p->on_rejected(request, rejection)) return true;
    }
    return false;
  }

 private:
  std::vector<std::shared_ptr<mcp::RequestAuthorizer>> parts_;
};

// A session's credentials: `oauth` (may be null) then the static `headers`
// (may be empty), composed; null when there are neither.
std::shared_ptr<mcp::RequestAuthorizer> credentials(std::shared_ptr<mcp::RequestAuthorizer> oauth,
                                                    net::HttpHeaders headers);

}  // namespace mcpauth::auth

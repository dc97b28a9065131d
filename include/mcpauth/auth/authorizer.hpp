// The MCP authorization client: plugs into the transports' credential seam
// (mcp::RequestAuthorizer) and makes a server that answers 401 usable.
//
// On 401 it runs core::oauth::AuthorizationFlow, the sans-I/O machine that
// discovers (Protected Resource Metadata, then authorization server
// metadata), obtains a client id (pre-registered, Client ID Metadata
// Document, or Dynamic Client Registration, bound to the issuer) and runs
// the grant (the authorization code flow with PKCE S256, state and RFC 9207
// iss checks, or another); this class is its driver: it sends, asks the
// ConsentHandler, waits, keeps what the machine produced in the store, and
// holds the locks. It refreshes before
// expiry, refreshes first on invalid_token, steps up on 403
// insufficient_scope with the union of scopes, and bounds every retry.
// A token is only ever attached to requests for the server's own origin.
// What to do with each 401/403 is decided by core::oauth::plan_rejection();
// this class gathers the facts and carries the plan out.
//
// Needs are results: without a ConsentHandler (AuthorizerOptions::consent
// null), a refused request that needs the user is not waited on: it fails
// at once with Error(authorization_required), or Error(insufficient_scope)
// for a step-up, whose detail() names the resource, the authorization
// server and the scope. The layer that owns the user then runs that
// authorization with a consent of its own and sends its request again:
//
//   try { return session.list_tools(); }
//   catch (const Error& e) {
//     if (e.code() != ErrorCode::authorization_required && e.code() != ErrorCode::insufficient_scope) throw;
//     authorizer.authorize(my_consent);  // the user is asked here, by the host
//     return session.list_tools();       // once; a second need is the user's to see
//   }
//
// Threading: every member may be called from any thread. apply() and info()
// never wait for a person: a consent (or a device approval, or another
// process's consent) runs without the state lock, so requests go on carrying
// the current token meanwhile. on_rejected() calls that need an authorization,
// and authorize(), run one at a time, and may block for as long as the
// consent takes; except that without a ConsentHandler (browser grant) a
// refused request never waits for a person, this process's consent or
// another's: it fails at once with Error(authorization_required), whose
// remedies include retry when an authorization is under way.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mcpauth/auth/consent.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/core/oauth/authorization_flow.hpp"
#include "mcpauth/core/oauth/client_choice.hpp"
#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/mcp/request_authorizer.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::auth {

// What the user configured about the client identity (all optional).
using ClientConfig = core::oauth::ClientSettings;

// How tokens are obtained (authorization_code, client_credentials,
// jwt_bearer, identity_assertion, device_code).
using Grant = core::oauth::Grant;

// The identity provider of an enterprise-managed authorization (SEP-990).
using IdentityProviderConfig = core::oauth::IdentityProviderConfig;

struct AuthorizerOptions {
  std::string server_url;
  std::shared_ptr<net::HttpClient> http;     // required
  std::shared_ptr<store::TokenStore> store;  // null: kept in memory
  // null: nobody is asked inside a request; a need for consent is the
  // request's Error (authorization_required, insufficient_scope), and the
  // host runs it with authorize().
  std::shared_ptr<ConsentHandler> consent;
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
  // Called when refreshing() changes (a refresh starts or ends), on the
  // refreshing thread while it holds this Authorizer's state lock: it must
  // not call this Authorizer back (refreshing() aside). A dashboard wakes
  // its change stream with it. Default: none.
  std::function<void()> refreshing_changed;
  // Extra parameters of the authorization request (audience, login_hint,
  // access_type, ...); the ones the flow sets itself are refused
  // (core::oauth::check_extra_authorization_params) by the constructor.
  core::oauth::FormFields extra_authorization_params{};
  // A debug log: one line per action of each authorization or refresh
  // (what is fetched or posted where, what discovery found, which client
  // and grant, what was obtained) and per decision about a refused request,
  // never a token, code or secret; called on the requesting or authorizing
  // thread, from several at once. Default: none.
  std::function<void(const std::string&)> log{};
  // Called when the authorization server refused a refresh because the
  // grant is gone (`invalid_grant` or `invalid_client`, the argument): the
  // grant was deleted and the next request needs a new authorization. On
  // the refreshing thread, holding this Authorizer's state lock, like
  // refreshing_changed. Default: none.
  std::function<void(const std::string& oauth_error)> grant_refused{};
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
  ~Authorizer() override;
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  void apply(net::HttpRequest& request) override;
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) override;

  // The access token requests to the server carry now (restored from the
  // store, refreshed first when about to expire), or nullopt without one.
  // Never asks anybody: an authorization starts only from a server's 401.
  std::optional<std::string> access_token();

  // The current authorization, if one was obtained.
  std::optional<AuthorizationInfo> info() const;
  int authorizations() const;

  // Runs, with `consent`, the authorization the last refused request needed
  // and did not get (the need its Error described); with none pending, a
  // new one from discovery (a host's "Authorize" button: the user is asked
  // even when a token is held, unless another process stored a newer one).
  // `scope` replaces the scope the need named. Returns what was obtained;
  // the host then sends its request again. Waits for the user without the
  // state lock (requests go on with the current token), one authorization
  // at a time with on_rejected(); ended by cancel() like any consent (and
  // refused after it with Error(cancelled)). Not limited by
  // max_authorizations: it is the user's own request. Throws mcpauth::Error.
  AuthorizationInfo authorize(ConsentHandler& consent, const std::optional<std::string>& scope = std::nullopt);

  // Whether a refresh of the access token is under way now (a network
  // exchange with the authorization server, no person): a dashboard shows
  // it. Never waits.
  bool refreshing() const;

  // Whether a person is being waited for now: a consent, a device approval,
  // or another process's consent. A host can answer its own side meanwhile
  // (the proxy answers pings itself).
  bool waiting_for_user() const;
  // For a host whose user has gone away (the proxy's input ended): ends any
  // wait for a person at once with Error(cancelled) (the consent's own
  // ConsentSession::cancel(), a device-code or another-process pause), and
  // later interactive authorizations fail the same way before anything is
  // sent. Refreshes and non-interactive grants go on. Any thread.
  void cancel();

 private:
  class Impl;  // the state and the locks (authorizer.cpp)
  std::unique_ptr<Impl> impl_;
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

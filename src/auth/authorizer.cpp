#include "mcpauth/auth/authorizer.hpp"

#include <array>
#include <mutex>
#include <thread>

#include "form_post.hpp"
#include "mcpauth/auth/dpop.hpp"
#include "mcpauth/core/oauth/client_choice.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"
#include "mcpauth/core/oauth/pkce.hpp"
#include "mcpauth/core/oauth/rejection.hpp"
#include "mcpauth/core/oauth/retry.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/version.hpp"
#include "random.hpp"

namespace mcpauth::auth {
namespace {

using core::oauth::AuthChallenge;
using core::oauth::ClientKind;
using core::oauth::ClientRegistration;
using core::oauth::Clock;
using core::oauth::TokenSet;

using detail::random_bytes;
using detail::random_token;

std::string bearer_of(const net::HttpRequest& request) {
  const auto value = request.headers.get("Authorization").value_or("");
  if (value.rfind("Bearer ", 0) == 0) return value.substr(7);
  if (value.rfind("DPoP ", 0) == 0) return value.substr(5);
  return {};
}

core::oauth::ClientUse client_use(Grant grant) {
  switch (grant) {
    case Grant::authorization_code: return core::oauth::ClientUse::browser;
    case Grant::device_code: return core::oauth::ClientUse::device;
    case Grant::client_credentials: return core::oauth::ClientUse::client_credentials;
    default: return core::oauth::ClientUse::assertion;
  }
}

}  // namespace

// Everything an Authorizer holds: the options, what it learned, and the
// two locks. Kept out of the installed header.
class Authorizer::Impl {
 public:
  explicit Impl(AuthorizerOptions options);

  void apply(net::HttpRequest& request);
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection);
  std::optional<std::string> access_token();
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

Authorizer::Impl::Impl(AuthorizerOptions options)
    : options_(std::move(options)), server_(core::parse_url(options_.server_url)) {
  if (!options_.http) throw Error(ErrorCode::usage, "Authorizer needs an HttpClient");
  // Every request the Authorizer makes goes to a URL the server or its
  // metadata chose (or to the server's own origin): none may reach local or
  // metadata-service addresses the server itself is not on.
  options_.http = restrict_to_server_directed(options_.http, options_.server_url);
  if (!options_.store) options_.store = store::make_memory_token_store();
  if (options_.client.client_metadata_url) {
    const core::Url url = core::parse_url(*options_.client.client_metadata_url);
    if (url.scheme != "https" || url.path.empty() || url.path == "/") {
      throw Error(ErrorCode::usage,
                  "a client metadata document URL must be https with a path, e.g. "
                  "https://example.com/mcpauth.json");
    }
  }
}

void Authorizer::Impl::notify(const std::string& line) const {
  if (options_.notify) options_.notify(line);
}

// Waiting for a person (a consent, a device approval, another process's
// consent) happens without the state lock, so apply() and info() go on
// answering meanwhile; the flow lock still keeps authorizations one at a time.
void Authorizer::Impl::while_unlocked(const std::function<void()>& wait) {
  if (!held_) return wait();
  held_->unlock();
  struct Relock {
    std::unique_lock<std::mutex>& lock;
    ~Relock() { lock.lock(); }
  } relock{*held_};
  wait();
}

int Authorizer::Impl::authorizations() const {
  std::lock_guard lock(mutex_);
  return authorizations_;
}

std::optional<AuthorizationInfo> Authorizer::Impl::info() const {
  std::lock_guard lock(mutex_);
  if (!tokens_ || !client_) return std::nullopt;
  AuthorizationInfo info;
  info.issuer = client_->issuer;
  info.client_id = client_->client_id;
  info.client_kind = client_->kind;
  if (discovery_) info.resource = discovery_->resource;
  info.scope = tokens_->scope;
  info.expires_at = tokens_->expires_at;
  info.has_refresh_token = tokens_->refresh_token.has_value();
  return info;
}

DiscoveryOptions Authorizer::Impl::discovery_options() const {
  DiscoveryOptions d;
  d.server_url = options_.server_url;
  d.http = options_.http;
  d.http_timeout = options_.http_timeout;
  d.resource = options_.resource;
  d.preferred_issuer = options_.client.issuer;
  d.send_resource = options_.send_resource;
  return d;
}

// Takes `tokens` as the current ones, with the DPoP key they are bound to.
void Authorizer::Impl::adopt(TokenSet tokens) {
  if (tokens.dpop_key_pem && (!dpop_ || dpop_->private_key_pem() != *tokens.dpop_key_pem)) {
    dpop_ = std::make_unique<DpopKey>(*tokens.dpop_key_pem);
  }
  tokens_ = std::move(tokens);
}

// What an earlier run (or another process) left in the store for this
// server: discovery, client and tokens. Nothing is fetched; anything stale
// or unusable is simply not taken, and the server's 401 starts afresh.
void Authorizer::Impl::restore_locked() {
  restored_ = true;
  const auto record = options_.store->load_discovery(options_.server_url);
  if (!record) return;
  try {
    Discovery discovery = from_record(*record, discovery_options());
    adopt_stored_locked(discovery, "");
  } catch (const Error& e) {
    if (e.code() == ErrorCode::store) throw;  // a store that cannot be read is the user's to know
  }
}

// Takes the tokens another Authorizer or process stored for this grant,
// unless they are the ones the server just rejected.
bool Authorizer::Impl::adopt_stored_locked(const Discovery& discovery, const std::string& rejected) {
  const std::string resource = resource_key(discovery, options_.server_url);
  const std::string& issuer = discovery.as.issuer;
  const auto& configured = options_.client.client_id;
  auto client = options_.store->load_client(issuer);
  std::optional<store::TokenKey> key;
  std::optional<TokenSet> tokens;
  if (client && (!configured || client->client_id == *configured)) {
    if (configured && options_.client.client_secret) client->client_secret = options_.client.client_secret;
    key = store::TokenKey{resource, issuer, client->client_id, options_.account};
    tokens = options_.store->load_tokens(*key);
  }
  if (!tokens) {
    // This account's grant may come from an earlier dynamic registration,
    // replaced since (another account's login registered a new redirect
    // port). A public client is its id alone, so it can go on refreshing.
    for (auto& grant : options_.store->list_grants()) {
      const auto& k = grant.key;
      if (grant.error || k.resource != resource || k.issuer != issuer || k.account != options_.account) continue;
      if (configured && k.client_id != *configured) continue;
      client = ClientRegistration{};
      client->issuer = issuer;
      client->client_id = k.client_id;
      key = k;
      tokens = std::move(grant.tokens);
      break;
    }
  }
  if (!tokens || (!rejected.empty() && tokens->access_token == rejected)) return false;
  if (!core::oauth::usable(core::oauth::grant_state(*tokens, Clock::now()))) return false;
  discovery_ = discovery;
  client_ = client;
  key_ = key;
  adopt(std::move(*tokens));
  return true;
}

// The tokens to send now: restored from the store on first use, and
// refreshed ahead of expiry (the configured margin, at most half the
// token's lifetime: a 3-minute token is not refreshed on every request).
const TokenSet* Authorizer::Impl::fresh_tokens_locked() {
  if (!restored_) restore_locked();
  if (!tokens_) return nullptr;
  const auto state = core::oauth::grant_state(*tokens_, Clock::now(), options_.refresh_margin);
  if (state == core::oauth::GrantState::expiring || state == core::oauth::GrantState::expired_refreshable) {
    try {
      refresh_locked();
    } catch (const Error&) {
      // The server will answer 401 if the old token is no good; that path re-authorizes.
    }
  }
  return tokens_ ? &*tokens_ : nullptr;
}

std::optional<std::string> Authorizer::Impl::access_token() {
  std::lock_guard lock(mutex_);
  const TokenSet* tokens = fresh_tokens_locked();
  return tokens ? std::optional(tokens->access_token) : std::nullopt;
}

void Authorizer::Impl::apply(net::HttpRequest& request) {
  // Tokens belong to this server's origin only (MCP: never to another resource).
  try {
    if (!core::same_origin(core::parse_url(request.url), server_)) return;
  } catch (const Error&) {
    return;
  }
  std::lock_guard lock(mutex_);
  const TokenSet* tokens = fresh_tokens_locked();
  if (!tokens) return;
  if (dpop_ && net::iequals(tokens->token_type, "DPoP")) {
    request.headers.set("Authorization", "DPoP " + tokens->access_token);
    request.headers.set("DPoP", dpop_->proof(request.method, request.url, tokens->access_token, rs_nonce_));
  } else {
    request.headers.set("Authorization", "Bearer " + tokens->access_token);
  }
}

namespace {

// Whether carrying out `step` may authorize (and so wait for a person).
bool needs_the_flow(core::oauth::RejectionStep step) {
  using Step = core::oauth::RejectionStep;
  return step != Step::give_up && step != Step::retry && step != Step::retry_with_nonce;
}

}  // namespace

bool Authorizer::Impl::on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) {
  std::unique_lock lock(mutex_);
  if (!restored_) restore_locked();
  core::oauth::RejectionPlan plan = plan_rejection_locked(request, rejection);
  if (!needs_the_flow(plan.step)) return carry_out_locked(plan, request, rejection.status);
  // One authorization at a time; the state lock is taken after the flow lock
  // (always in that order), and the plan made again: the authorization this
  // thread waited for may have answered it.
  lock.unlock();
  const std::lock_guard flow(flow_mutex_);
  lock.lock();
  plan = plan_rejection_locked(request, rejection);
  const HeldLock held(held_, lock);  // only the flow's holder ever unlocks for a wait
  return carry_out_locked(plan, request, rejection.status);
}

core::oauth::RejectionPlan Authorizer::Impl::plan_rejection_locked(const net::HttpRequest& request,
                                                                   const mcp::Rejection& rejection) const {
  const std::string sent = bearer_of(request);
  core::oauth::RejectionFacts facts;
  facts.status = rejection.status;
  facts.method = request.method;
  facts.challenges = core::oauth::parse_www_authenticate(rejection.headers.get_all("WWW-Authenticate"));
  facts.dpop_nonce = rejection.headers.get("DPoP-Nonce");
  facts.sent_dpop_nonce = rs_nonce_;
  facts.server_url = options_.server_url;
  facts.holds_dpop_key = dpop_ != nullptr;
  facts.holds_tokens = tokens_.has_value();
  if (tokens_) {
    facts.sent_current_token = sent == tokens_->access_token;
    facts.holds_dpop_token = net::iequals(tokens_->token_type, "DPoP");
    facts.may_refresh = tokens_->refresh_token && refreshed_for_ != tokens_->access_token;
  }
  facts.scope = requested_scope_ ? requested_scope_ : (tokens_ ? tokens_->scope : std::nullopt);
  facts.authorizations = authorizations_;
  facts.max_authorizations = options_.max_authorizations;
  return core::oauth::plan_rejection(facts);
}

bool Authorizer::Impl::carry_out_locked(const core::oauth::RejectionPlan& plan, const net::HttpRequest& request,
                                        int status) {
  const std::string sent = bearer_of(request);
  const auto authorize_or_fail = [&](const std::optional<std::string>& scope) {
    if (plan.instead_of_authorizing) {
      throw Error(plan.instead_of_authorizing->code, plan.instead_of_authorizing->message, options_.server_url, status);
    }
    authorize_locked(plan.challenge, scope, sent);
    return true;
  };
  using Step = core::oauth::RejectionStep;
  switch (plan.step) {
    case Step::give_up: return false;
    case Step::retry: return true;
    case Step::retry_with_nonce: rs_nonce_ = plan.nonce; return true;
    case Step::fail: return authorize_or_fail(plan.scope);
    case Step::step_up:
      notify("The server needs more permissions (" + plan.scope.value_or("") + "); authorizing again.");
      return authorize_or_fail(plan.scope);
    case Step::authorize_without_dpop:
      // Remembered: the resource is Bearer-only, so no new token is bound.
      bearer_only_ = true;
      dpop_.reset();
      if (key_) options_.store->remove_tokens(*key_);
      tokens_.reset();
      notify("The server at " + options_.server_url +
             " accepts only Bearer tokens, not DPoP-bound ones; authorizing again without DPoP.");
      return authorize_or_fail(std::nullopt);
    case Step::recover: break;
  }
  // Another process may have refreshed or authorized since we read the store.
  if (discovery_ && adopt_stored_locked(*discovery_, sent)) return true;
  if (plan.refresh_first) {
    refreshed_for_ = tokens_->access_token;
    try {
      if (refresh_locked()) return true;
    } catch (const core::oauth::OAuthError& e) {
      // The grant is gone (invalid_grant, invalid_client): a new authorization
      // follows, and refresh_locked() said so. Any other refusal (a missing
      // scope, a malformed request) is not fixed by asking the user again.
      if (e.oauth_error() != "invalid_grant" && e.oauth_error() != "invalid_client") throw;
    }
  }
  return authorize_or_fail(std::nullopt);
}

// A claim on the interactive flow for one grant, released when it ends.
class Authorizer::Impl::FlowClaim {
 public:
  FlowClaim(store::FlowCoordinator& store, std::string key) : store_(store), key_(std::move(key)) {}
  ~FlowClaim() {
    try {
      store_.release_flow(key_);
    } catch (const Error&) {
      // An unreleased claim expires with its TTL or with this process.
    }
  }
  FlowClaim(const FlowClaim&) = delete;
  FlowClaim& operator=(const FlowClaim&) = delete;

 private:
  store::FlowCoordinator& store_;
  std::string key_;
};

void Authorizer::Impl::authorize_locked(const AuthChallenge& challenge, const std::optional<std::string>& scope_hint,
                                        const std::string& rejected) {
  Discovery discovery = discover(discovery_options(), challenge);
  if (options_.grant == Grant::authorization_code) core::oauth::require_pkce_s256(discovery.as);
  store::DiscoveryRecord record = to_record(discovery, options_.server_url);
  if (const auto before = options_.store->load_discovery(options_.server_url)) {
    // What the MCP server spoke is not the authorization's to forget.
    record.protocol_version = before->protocol_version;
    record.transport = before->transport;
  }
  options_.store->save_discovery(record);
  prepare_dpop(discovery, challenge);
  std::optional<std::string> scope = scope_hint;
  if (!scope)
    scope = options_.scope
                ? options_.scope
                : core::oauth::initial_scope(challenge, discovery.prm ? &*discovery.prm : nullptr, discovery.as);

  // Of several processes needing the user's consent for this grant at once,
  // one asks; the others wait for its tokens (or for its claim to end).
  std::unique_ptr<FlowClaim> claim;
  const bool interactive = options_.grant == Grant::authorization_code || options_.grant == Grant::device_code;
  if (interactive) {
    const std::string flow_key =
        resource_key(discovery, options_.server_url) + "\n" + discovery.as.issuer + "\n" + options_.account;
    const auto ttl =
        std::chrono::duration_cast<std::chrono::seconds>(options_.consent_timeout) + std::chrono::seconds(60);
    const auto deadline = std::chrono::steady_clock::now() + options_.consent_timeout;
    bool told = false;
    // A step-up needs this process's own consent: other processes' tokens lack the scope.
    const bool may_adopt = !scope_hint;
    while (true) {
      if (may_adopt && adopt_stored_locked(discovery, rejected)) {
        notify("Authorized by " + client_->issuer + " in another mcpauth process.");
        return;
      }
      if (options_.store->claim_flow(flow_key, ttl)) break;
      if (!told) {
        notify("Another mcpauth process is asking you to authorize " + options_.server_url + " at " +
               discovery.as.issuer + "; waiting for it.");
        told = true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Error(ErrorCode::consent_timeout,
                    "another mcpauth process asked for consent to " + options_.server_url +
                        " and did not finish in time; authorize again once it has ended",
                    options_.server_url, 0, {.remedies = {Remedy::retry, Remedy::interactive_consent}});
      }
      while_unlocked([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });  // polling another process
    }
    claim = std::make_unique<FlowClaim>(*options_.store, flow_key);
    // The claim's previous holder may have finished just before we took it.
    if (may_adopt && adopt_stored_locked(discovery, rejected)) {
      notify("Authorized by " + client_->issuer + " in another mcpauth process.");
      return;
    }
  }

  TokenSet tokens = obtain_tokens(discovery, scope);
  if (client_->kind == ClientKind::pre_registered) options_.store->save_client(*client_);
  // Only tokens of our own count against the budget: not adopted ones, and
  // not a consent that timed out or was declined (nothing the server rejected).
  ++authorizations_;
  if (dpop_ && net::iequals(tokens.token_type, "DPoP")) tokens.dpop_key_pem = dpop_->private_key_pem();
  key_ = store::TokenKey{resource_key(discovery, options_.server_url), discovery.as.issuer, client_->client_id,
                         options_.account};
  options_.store->save_tokens(*key_, tokens);
  forget_other_clients_grants();
  tokens_ = std::move(tokens);
  requested_scope_ = scope;
  discovery_ = std::move(discovery);
  notify("Authorized by " + client_->issuer + (tokens_->scope ? " (scope: " + *tokens_->scope + ")" : "") + ".");
}

// Runs the configured grant. A dynamic registration the authorization
// server no longer knows (invalid_client) is replaced once, without the user
// deleting anything.
TokenSet Authorizer::Impl::obtain_tokens(const Discovery& discovery, const std::optional<std::string>& scope) {
  for (int attempt = 0;; ++attempt) {
    try {
      switch (options_.grant) {
        case Grant::authorization_code: return authorization_code_flow(discovery, scope);
        case Grant::client_credentials: return client_credentials_flow(discovery, scope);
        case Grant::device_code: return device_flow(discovery, scope);
        default: return assertion_flow(discovery, scope);
      }
    } catch (const core::oauth::OAuthError& e) {
      const bool stale_client = e.oauth_error() == "invalid_client" || e.oauth_error() == "unauthorized_client";
      if (!stale_client || !client_ || client_->kind != ClientKind::dynamic || attempt > 0) throw;
      options_.store->remove_client(discovery.as.issuer);
      notify("The authorization server no longer accepts the stored registration; registering mcpauth again.");
    }
  }
}

// One grant per server and account: a grant made with an earlier (replaced)
// client registration is dropped when a new one is stored.
void Authorizer::Impl::forget_other_clients_grants() {
  for (const auto& grant : options_.store->list_grants()) {
    const auto& k = grant.key;
    if (k.resource == key_->resource && k.issuer == key_->issuer && k.account == key_->account &&
        k.client_id != key_->client_id) {
      options_.store->remove_tokens(k);
    }
  }
}

namespace {

bool lists_es256(const core::oauth::Json& doc) {
  const auto algs = doc.find("dpop_signing_alg_values_supported");
  return algs != doc.end() && algs->is_array() && std::find(algs->begin(), algs->end(), "ES256") != algs->end();
}

}  // namespace

// DPoP needs both sides: the authorization server binds the token to our
// key, and the resource must accept a DPoP-bound token. An authorization
// server offering DPoP says nothing about the resource (Keycloak with DPoP
// enabled, oidc-provider's defaults): a Bearer-only resource refuses a bound
// token for ever. So the resource must say so: a DPoP challenge, or its
// metadata listing DPoP (RFC 9728 dpop_signing_alg_values_supported /
// dpop_bound_access_tokens_required).
void Authorizer::Impl::prepare_dpop(const Discovery& d, const AuthChallenge& challenge) {
  bool resource_takes_dpop = challenge.dpop;
  if (d.prm) {
    resource_takes_dpop = resource_takes_dpop || lists_es256(d.prm->raw) ||
                          d.prm->raw.value("dpop_bound_access_tokens_required", core::oauth::Json(false)) == true;
  }
  const bool use = options_.use_dpop && !bearer_only_ && lists_es256(d.as.raw) && resource_takes_dpop;
  if (use && !dpop_) dpop_ = std::make_unique<DpopKey>();
  if (!use) dpop_.reset();
}

ClientRegistration Authorizer::Impl::obtain_client(const Discovery& d, const std::string& redirect_uri,
                                                   const std::optional<std::string>& scope) {
  const std::string& issuer = d.as.issuer;
  core::oauth::ClientChoiceInput input;
  input.as = d.as;
  input.configured = options_.client;
  if (!options_.client.client_id) input.stored = options_.store->load_client(issuer);
  input.use = client_use(options_.grant);
  input.redirect_uri = redirect_uri;
  input.scope = scope;
  input.client_name = options_.client_name;
  input.software_version = version();
  input.server_url = options_.server_url;
  core::oauth::ClientChoice choice = core::oauth::choose_client(input);
  if (choice.source == core::oauth::ClientSource::stored) return std::move(*choice.client);
  ClientRegistration client;
  if (choice.client) {
    client = std::move(*choice.client);
  } else {
    const core::oauth::RegistrationRequest& registration = choice.registration;
    net::HttpRequest request;
    request.method = "POST";
    request.url = *d.as.registration_endpoint;
    request.headers.set("Content-Type", "application/json");
    request.headers.set("Accept", "application/json");
    request.body = core::oauth::registration_body(registration);
    request.total_timeout = options_.http_timeout;
    request.max_response_bytes = core::oauth::kMaxMetadataBytes;
    net::HttpResponse response;
    try {
      response = options_.http->send(request);
    } catch (const Error& e) {
      throw Error(ErrorCode::auth_server_unreachable, std::string("cannot register a client: ") + e.what(),
                  request.url);
    }
    if (d.as.from_defaults && (response.status < 200 || response.status >= 300)) {
      // Nothing was published and the guessed /register is not there either:
      // most likely a server that takes a static token, not an OAuth one.
      throw Error(ErrorCode::unauthorized,
                  "the server at " + options_.server_url +
                      " answered HTTP 401 but publishes no OAuth metadata (no protected resource metadata, no "
                      "authorization server metadata, and " +
                      request.url + " answered HTTP " + std::to_string(response.status) +
                      "); if it takes a static token, send it in an Authorization header",
                  options_.server_url, 401, {.remedies = {Remedy::static_token}});
    }
    client = core::oauth::parse_registration_response(response.status, response.body, request.url, issuer, registration,
                                                      d.as);
    notify("Registered mcpauth as a client of " + issuer + ".");
  }
  // A registration is the authorization server's record and is kept at once;
  // a client the user configured is only kept once a token exchange proved it
  // (authorize_locked), so a mistyped id is never remembered.
  if (client.kind != ClientKind::pre_registered) options_.store->save_client(client);
  return client;
}

TokenSet Authorizer::Impl::authorization_code_flow(const Discovery& d, const std::optional<std::string>& scope) {
  if (!options_.consent) {
    throw Error(ErrorCode::authorization_required,
                "the server at " + options_.server_url + " requires authorization by " + d.as.issuer +
                    " and no consent can be asked for here; authorize interactively first",
                options_.server_url, 0, {.remedies = {Remedy::interactive_consent}});
  }
  // The redirect URI of the stored registration, so that every authorization
  // at this server reuses it (one registration, not one per login).
  std::string preferred_redirect_uri;
  if (const auto stored = options_.store->load_client(d.as.issuer); stored && !stored->redirect_uris.empty()) {
    preferred_redirect_uri = stored->redirect_uris.front();
  }
  std::unique_ptr<ConsentSession> consent;
  try {
    consent = preferred_redirect_uri.empty() ? options_.consent->begin(d.as.issuer)
                                             : options_.consent->begin_preferring(d.as.issuer, preferred_redirect_uri);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::authorization_required || !d.as.from_defaults) throw;
    // Nothing published and no way to ask the user: most likely a static-token server.
    throw Error(ErrorCode::authorization_required,
                "the server at " + options_.server_url +
                    " answered HTTP 401 and publishes no OAuth metadata; if it takes a static token, send it in an "
                    "Authorization header (else: " +
                    e.what() + ")",
                options_.server_url, 401, {.remedies = Remedies(e.remedies()).add(Remedy::static_token)});
  }
  client_ = obtain_client(d, consent->redirect_uri(), scope);

  const auto verifier_bytes = random_bytes();
  const auto pkce = core::oauth::make_pkce(verifier_bytes);
  core::oauth::FlowRecord flow;
  flow.issuer = d.as.issuer;
  flow.authorization_endpoint = d.as.authorization_endpoint;
  flow.token_endpoint = d.as.token_endpoint;
  flow.client_id = client_->client_id;
  flow.redirect_uri = consent->redirect_uri();
  flow.state = random_token();
  flow.code_verifier = pkce.verifier;
  flow.code_challenge = pkce.challenge;
  flow.scope = scope;
  flow.resource = d.resource;
  flow.iss_parameter_supported = d.as.authorization_response_iss_parameter_supported;

  core::oauth::FormFields extra;
  if (scope && core::oauth::scope_covers(*scope, "offline_access")) extra.emplace_back("prompt", "consent");
  const std::string url = core::oauth::authorization_url(flow, extra);
  core::oauth::require_secure_url(url, "authorization URL");

  core::oauth::FormFields params;
  while_unlocked([&] {
    params = consent->await({url, d.as.issuer, options_.server_url, flow.state, options_.consent_timeout});
  });
  const std::string code = core::oauth::code_from_callback(params, flow);
  return exchange(core::oauth::authorization_code_request(flow, code, *client_, Clock::now(), random_token()), scope,
                  std::nullopt);
}

TokenSet Authorizer::Impl::client_credentials_flow(const Discovery& d, const std::optional<std::string>& scope) {
  client_ = obtain_client(d, "", scope);
  return exchange(core::oauth::client_credentials_request(d.as.token_endpoint, scope, d.resource, *client_,
                                                          Clock::now(), random_token()),
                  scope, std::nullopt);
}

// RFC 8628: show the code, then poll at the server's pace until the user
// approved on any device, declined, or the code expired.
TokenSet Authorizer::Impl::device_flow(const Discovery& d, const std::optional<std::string>& scope) {
  if (!core::oauth::supports_device_grant(d.as)) {
    throw Error(ErrorCode::authorization_required,
                "the authorization server " + d.as.issuer +
                    " does not offer device login (RFC 8628); use a browser login (the authorization code grant) "
                    "instead, opening the URL yourself where no browser runs",
                d.as.issuer, 0, {.remedies = {Remedy::use_browser_grant, Remedy::open_url_manually}});
  }
  client_ = obtain_client(d, "", scope);
  const auto request = core::oauth::device_authorization_request(*d.as.device_authorization_endpoint, scope, d.resource,
                                                                 *client_, Clock::now(), random_token());
  const auto answer = post_form(request);
  const auto device =
      core::oauth::parse_device_authorization_response(answer.status, answer.body, request.url, Clock::now());
  if (options_.device_prompt) {
    options_.device_prompt(device);
  } else {
    notify("To authorize mcpauth for " + options_.server_url + ", open " +
           device.verification_uri_complete.value_or(device.verification_uri) + " and enter the code " +
           device.user_code + ".");
  }
  const auto deadline = Clock::now() + options_.consent_timeout;
  auto interval = device.interval;
  while (true) {
    core::oauth::check_device_code_expiry(device, Clock::now(), request.url);
    if (Clock::now() + interval > deadline) {
      throw Error(ErrorCode::consent_timeout,
                  "the device code was not approved within " + std::to_string(options_.consent_timeout.count() / 1000) +
                      " s; start a new device login",
                  request.url, 0, {.remedies = {Remedy::retry}});
    }
    while_unlocked([&] { std::this_thread::sleep_for(interval); });  // RFC 8628 §3.5: the server sets the pace
    const auto poll = core::oauth::device_token_request(d.as.token_endpoint, device.device_code, d.resource, *client_,
                                                        Clock::now(), random_token());
    const auto response = post_form(poll);
    auto result = core::oauth::parse_device_token_response(response.status, response.body, poll.url, Clock::now(),
                                                           scope, dpop_ != nullptr);
    if (result.tokens) return std::move(*result.tokens);
    interval = core::oauth::next_interval(interval, result.kind);
  }
}

TokenSet Authorizer::Impl::assertion_flow(const Discovery& d, const std::optional<std::string>& scope) {
  std::string assertion;
  if (options_.grant == Grant::jwt_bearer) {
    if (!options_.assertion) throw Error(ErrorCode::usage, "the jwt-bearer grant needs an assertion");
    assertion = *options_.assertion;
  } else {
    if (!options_.identity_provider) throw Error(ErrorCode::usage, "enterprise-managed authorization needs an IdP");
    const IdentityProviderConfig& idp = *options_.identity_provider;
    ClientRegistration idp_client;
    idp_client.client_id = idp.client_id;
    idp_client.client_secret = idp.client_secret;
    idp_client.token_endpoint_auth_method = idp.client_secret ? "client_secret_post" : "none";
    core::oauth::IdentityAssertionRequest exchange_request{idp.token_endpoint, idp.id_token, d.as.issuer, d.resource,
                                                           scope};
    const auto token_request =
        core::oauth::identity_assertion_request(exchange_request, idp_client, Clock::now(), random_token());
    const auto response = post_form(token_request);
    assertion = core::oauth::parse_identity_assertion_response(response.status, response.body, token_request.url);
    notify("Obtained an identity assertion from " + idp.token_endpoint + ".");
  }
  client_ = obtain_client(d, "", scope);
  return exchange(core::oauth::jwt_bearer_request(d.as.token_endpoint, assertion, scope, d.resource, *client_,
                                                  Clock::now(), random_token()),
                  scope, std::nullopt);
}

// Single flight across threads and processes: the store's per-grant lock is
// held from re-reading the grant to persisting the rotated refresh token.
// Returns whether a usable new token is now held.
bool Authorizer::Impl::refresh_locked() {
  if (!tokens_ || !client_ || !discovery_ || !key_) return false;
  const std::string held = tokens_->access_token;
  std::optional<core::oauth::OAuthError> refused;
  auto current = options_.store->update_tokens(*key_, [&](const std::optional<TokenSet>& stored) {
    // Logged out meanwhile, or another thread or process refreshed already: take what is there.
    if (!stored || stored->access_token != held || !stored->refresh_token) return store::TokenDecision::keep();
    try {
      TokenSet fresh = exchange(core::oauth::refresh_token_request(
                                    discovery_->as.token_endpoint, *stored->refresh_token, discovery_->resource,
                                    *client_, Clock::now(), random_token(), stored->scope),
                                stored->scope, stored->refresh_token);
      if (dpop_ && net::iequals(fresh.token_type, "DPoP")) fresh.dpop_key_pem = dpop_->private_key_pem();
      return store::TokenDecision::replace(std::move(fresh));
    } catch (const core::oauth::OAuthError& e) {
      // The grant is gone. The row was re-read under the lock, so what is
      // deleted is exactly the refresh token just refused, never a sibling's newer one.
      if (e.oauth_error() != "invalid_grant" && e.oauth_error() != "invalid_client") throw;
      refused = e;
      return store::TokenDecision::remove();
    }
  });
  if (refused) {
    tokens_.reset();
    notify("The refresh token was refused by " + client_->issuer + " (" + refused->oauth_error() +
           "): authorizing again.");
    if (refused->oauth_error() == "invalid_client" && client_->kind == ClientKind::dynamic) {
      options_.store->remove_client(client_->issuer);  // stale registration: the next authorization registers anew
    }
    throw *refused;
  }
  if (!current) {
    tokens_.reset();
    return false;
  }
  const bool changed = current->access_token != held;
  adopt(std::move(*current));
  return changed;
}

net::HttpResponse Authorizer::Impl::post_form(const core::oauth::TokenRequest& token_request) {
  net::HttpRequest request = detail::form_post(token_request, options_.http_timeout);
  for (int attempt = 0;; ++attempt) {
    if (dpop_) request.headers.set("DPoP", dpop_->proof("POST", request.url, std::nullopt, as_nonce_));
    net::HttpResponse response = send_token_request(request);
    // RFC 9449 §8: the authorization server asks for a nonce in the proof; once.
    const auto nonce = response.headers.get("DPoP-Nonce");
    if (dpop_ && attempt == 0 && response.status == 400 && nonce &&
        response.body.find("use_dpop_nonce") != std::string::npos) {
      as_nonce_ = nonce;
      continue;
    }
    return response;
  }
}

// Sends a token endpoint request, and sends it again (a bounded number of
// times, honouring Retry-After within a bound) when the authorization server
// answered 5xx or 429 or was not reached at all: the code or refresh token was
// not consumed, and giving up would cost the user a new consent. Any other
// answer is returned as is. Throws Error(auth_server_unreachable).
net::HttpResponse Authorizer::Impl::send_token_request(net::HttpRequest& request) {
  for (int attempts = 1;; ++attempts) {
    std::optional<std::chrono::milliseconds> delay;
    std::string trouble;
    try {
      net::HttpResponse response = options_.http->send(request);
      if (!core::oauth::is_transient_status(response.status)) return response;
      const auto retry_after = response.headers.get("Retry-After");
      delay = core::oauth::retry_delay(attempts,
                                       retry_after ? std::optional<std::string_view>(*retry_after) : std::nullopt);
      if (!delay) return response;  // the caller reports the status and the server's words
      trouble = "answered HTTP " + std::to_string(response.status);
    } catch (const Error& e) {
      // Only a request that never left is safe to repeat after a transport failure.
      if (e.never_sent()) delay = core::oauth::retry_delay(attempts, std::nullopt);
      if (!delay) {
        throw Error(ErrorCode::auth_server_unreachable, std::string("cannot reach ") + request.url + ": " + e.what(),
                    request.url);
      }
      trouble = std::string("could not be reached (") + e.what() + ")";
    }
    notify("The token endpoint " + request.url + " " + trouble + "; trying again in " +
           std::to_string((delay->count() + 999) / 1000) + " s.");
    std::this_thread::sleep_for(*delay);  // the server's (bounded) Retry-After, or a short backoff
    // A DPoP proof is single-use (its jti): a repeated request gets a new one.
    if (dpop_) request.headers.set("DPoP", dpop_->proof("POST", request.url, std::nullopt, as_nonce_));
  }
}

TokenSet Authorizer::Impl::exchange(const core::oauth::TokenRequest& token_request,
                                    const std::optional<std::string>& scope,
                                    const std::optional<std::string>& previous_refresh) {
  const net::HttpResponse response = post_form(token_request);
  return core::oauth::parse_token_response(response.status, response.body, token_request.url, Clock::now(), scope,
                                           previous_refresh, dpop_ != nullptr);
}

Authorizer::Authorizer(AuthorizerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Authorizer::~Authorizer() = default;

void Authorizer::apply(net::HttpRequest& request) {
  impl_->apply(request);
}
bool Authorizer::on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) {
  return impl_->on_rejected(request, rejection);
}
std::optional<std::string> Authorizer::access_token() {
  return impl_->access_token();
}
std::optional<AuthorizationInfo> Authorizer::info() const {
  return impl_->info();
}
int Authorizer::authorizations() const {
  return impl_->authorizations();
}

std::shared_ptr<mcp::RequestAuthorizer> credentials(std::shared_ptr<mcp::RequestAuthorizer> oauth,
                                                    net::HttpHeaders headers) {
  if (headers.empty()) return oauth;
  auto fixed = std::make_shared<mcp::StaticHeaders>(std::move(headers));
  if (!oauth) return fixed;
  return std::make_shared<CompositeAuthorizer>(std::vector<std::shared_ptr<mcp::RequestAuthorizer>>{oauth, fixed});
}

}  // namespace mcpauth::auth

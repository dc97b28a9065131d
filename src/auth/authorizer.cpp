#include "mcpauth/auth/authorizer.hpp"

#include <thread>

#include "authorizer_impl.hpp"
#include "mcpauth/core/oauth/authorization_params.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth_internal/core/redact.hpp"

namespace mcpauth::auth {
namespace {

using core::oauth::AuthChallenge;
using core::oauth::ClientKind;
using core::oauth::ClientRegistration;
using core::oauth::Clock;
using core::oauth::TokenSet;

std::string bearer_of(const net::HttpRequest& request) {
  const auto value = request.headers.get("Authorization").value_or("");
  if (value.rfind("Bearer ", 0) == 0) return value.substr(7);
  if (value.rfind("DPoP ", 0) == 0) return value.substr(5);
  return {};
}

}  // namespace

Authorizer::Impl::Impl(AuthorizerOptions options)
    : options_(std::move(options)), server_(core::parse_url(options_.server_url)) {
  if (!options_.http) throw Error(ErrorCode::usage, "Authorizer needs an HttpClient");
  core::oauth::check_extra_authorization_params(options_.extra_authorization_params);
  // Every request the Authorizer makes goes to a URL the server or its
  // metadata chose (or to the server's own origin): none may reach local or
  // metadata-service addresses the server itself is not on.
  options_.http = restrict_to_server_directed(options_.http, options_.server_url);
  if (!options_.store) options_.store = store::make_memory_token_store();
  if (options_.client.client_metadata_url) {
    const core::Url url = core::parse_url(*options_.client.client_metadata_url);
    // Plain http only on a loopback host: a gateway's own document served
    // locally (tests, a trial); an authorization server that insists on
    // https refuses it itself.
    const bool secure = url.scheme == "https" || core::is_loopback_host(url.host);
    if (!secure || url.path.empty() || url.path == "/") {
      throw Error(ErrorCode::usage,
                  "a client metadata document URL must be https with a path, e.g. "
                  "https://example.com/mcpauth.json");
    }
  }
}

void Authorizer::Impl::notify(const std::string& line) const {
  if (options_.notify) options_.notify(line);
}

void Authorizer::Impl::debug(const std::string& line) const {
  if (options_.log) options_.log(line);
}

// Waiting for a person (a consent, a device approval, another process's
// consent) happens without the state lock, so apply() and info() go on
// answering meanwhile; the flow lock still keeps authorizations one at a time.
void Authorizer::Impl::while_unlocked(const std::function<void()>& wait) {
  if (!held_ || held_by_ != std::this_thread::get_id()) return wait();
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
  return info_locked();
}

std::optional<AuthorizationInfo> Authorizer::Impl::info_locked() const {
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

// What discovery needs to know of the user's settings (fresh or from the store alike).
core::oauth::DiscoveryPolicy Authorizer::Impl::discovery_policy() const {
  return {options_.server_url, options_.resource, options_.client.issuer, options_.send_resource};
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
    Discovery discovery = from_record(*record, discovery_policy());
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
    for (auto& grant : options_.store->list_grants_of(resource, issuer, options_.account)) {
      const auto& k = grant.key;
      if (grant.error) continue;
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
  debug("tokens taken from the store (stored by another authorization or refresh), issuer " + issuer);
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

// Tells the consent how the authorization ended, once, whichever way it
// ends (a browser may be waiting for that page).
class ConsentOutcome {
 public:
  explicit ConsentOutcome(const std::unique_ptr<ConsentSession>& consent) : consent_(consent) {}
  ~ConsentOutcome() {
    try {
      if (consent_ && !told_) consent_->finished(false);
    } catch (...) {  // a host's session broke its no-throw contract: the error under way matters more
    }
  }
  ConsentOutcome(const ConsentOutcome&) = delete;
  ConsentOutcome& operator=(const ConsentOutcome&) = delete;
  void authorized() {
    if (consent_ && !told_) consent_->finished(true);
    told_ = true;
  }

 private:
  const std::unique_ptr<ConsentSession>& consent_;
  bool told_ = false;
};

// `e` with `detail` instead of its own (an Error's detail is immutable).
Error with_detail(const Error& e, ErrorDetail detail) {
  Error out(e.code(), e.what(), e.url(), e.http_status(), std::move(detail));
  if (e.never_sent()) out.mark_never_sent();
  return out;
}

}  // namespace

bool Authorizer::Impl::on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) {
  std::unique_lock lock(mutex_);
  if (!restored_) restore_locked();
  core::oauth::RejectionPlan plan = plan_rejection_locked(request, rejection);
  debug("rejected: HTTP " + std::to_string(rejection.status) + " from " + core::redact_url(options_.server_url) +
        "; next: " + std::string(core::oauth::to_string(plan.step)));
  if (!needs_the_flow(plan.step)) return carry_out_locked(plan, request, rejection.status, true);
  // One authorization at a time; the state lock is taken after the flow turn
  // (always in that order), and the plan made again: the authorization this
  // thread waited for may have answered it. With nobody to ask, this request
  // does not wait out another's consent: it recovers what it can without an
  // authorization (another process's tokens, a refresh) or is answered now.
  lock.unlock();
  const detail::FlowTurn turn(waits_, nobody_to_ask(options_.consent.get()));
  lock.lock();
  plan = plan_rejection_locked(request, rejection);
  if (!turn) {
    debug("an authorization of " + core::redact_url(options_.server_url) +
          " is waiting for the user; this request does not wait for it (no consent can be asked for here)");
    return carry_out_locked(plan, request, rejection.status, false);
  }
  const HeldLock held(*this, lock);  // only the flow's holder ever unlocks for a wait
  return carry_out_locked(plan, request, rejection.status, true);
}

// Whether an authorization asking through `consent_handler` can ever reach a
// person: a browser consent needs the handler; a device approval asks
// through device_prompt, and non-interactive grants ask nobody.
bool Authorizer::Impl::nobody_to_ask(const ConsentHandler* consent_handler) const {
  return consent_handler == nullptr && options_.grant == Grant::authorization_code;
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
                                        int status, bool may_authorize) {
  using Step = core::oauth::RejectionStep;
  const std::string sent = bearer_of(request);
  const auto authorize_or_fail = [&](const std::optional<std::string>& scope) {
    if (plan.instead_of_authorizing) {
      const core::oauth::Failure& failure = *plan.instead_of_authorizing;
      ErrorDetail detail = failure.detail;
      if (failure.code == ErrorCode::insufficient_scope) detail.resource = options_.server_url;
      throw Error(failure.code, failure.message, options_.server_url, status, std::move(detail));
    }
    if (!may_authorize) {
      throw Error(ErrorCode::authorization_required,
                  "an authorization of " + options_.server_url +
                      " is waiting for the user now; send the request again once it has ended",
                  options_.server_url, status, {.remedies = {Remedy::retry}, .resource = options_.server_url});
    }
    return authorize_for_rejection_locked({plan.challenge, scope, sent}, plan.step == Step::step_up);
  };
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

// The authorization a refused request needs, with the configured consent.
// Without one it is the request's Error, remembered for authorize(): a
// step-up's is insufficient_scope (what the server refuses for), any other
// authorization_required.
bool Authorizer::Impl::authorize_for_rejection_locked(const Need& need, bool step_up) {
  need_ = need;
  try {
    authorize_locked(need.challenge, need.scope, need.rejected, options_.consent.get());
  } catch (const Error& e) {
    if (!step_up || options_.consent || e.code() != ErrorCode::authorization_required) throw;
    ErrorDetail detail = e.detail();
    detail.required_scope = need.scope.value_or("");
    detail.remedies.add(Remedy::interactive_consent);
    throw Error(ErrorCode::insufficient_scope,
                "the server at " + options_.server_url + " needs the scope \"" + detail.required_scope +
                    "\", more than the current authorization grants, and no consent can be asked for here; "
                    "authorize again with that scope",
                options_.server_url, 403, std::move(detail));
  }
  return true;
}

// What a host's authorize() runs when no refused request is pending: a new
// authorization, from the protected resource metadata a stored discovery
// names (the 401's challenge may have pointed at it), else from the
// well-known locations. The token held is not taken as the answer.
Authorizer::Impl::Need Authorizer::Impl::fresh_need_locked() const {
  Need need;
  if (const auto record = options_.store->load_discovery(options_.server_url); record && !record->prm_url.empty()) {
    need.challenge.resource_metadata = record->prm_url;
  }
  if (tokens_) need.rejected = tokens_->access_token;
  return need;
}

AuthorizationInfo Authorizer::Impl::authorize(ConsentHandler& consent, const std::optional<std::string>& scope) {
  const detail::FlowTurn turn(waits_, false);  // lock order: the flow turn, then the state lock
  std::unique_lock lock(mutex_);
  if (!restored_) restore_locked();
  Need need = need_ ? *need_ : fresh_need_locked();
  if (scope) need.scope = scope;
  const HeldLock held(*this, lock);  // the user is waited for without the state lock
  authorize_locked(need.challenge, need.scope, need.rejected, &consent);
  auto info = info_locked();
  if (!info)
    throw Error(ErrorCode::authorization_required,
                "the authorization of " + options_.server_url + " ended without tokens", options_.server_url);
  return std::move(*info);
}

void Authorizer::Impl::authorize_locked(const AuthChallenge& challenge, const std::optional<std::string>& scope_hint,
                                        const std::string& rejected, ConsentHandler* consent_handler) {
  // After cancel() nobody is left to ask: an interactive grant fails before anything is fetched.
  if (options_.grant == Grant::authorization_code || options_.grant == Grant::device_code) {
    waits_.refuse_if_cancelled();
  }
  core::oauth::AuthorizationFlow flow(flow_settings(consent_handler != nullptr), challenge, scope_hint, Clock::now(),
                                      random_);
  std::unique_ptr<ConsentSession> consent;
  ConsentOutcome outcome(consent);
  const auto discovered = std::get<core::oauth::Discovered>(drive(flow, consent_handler, consent));
  const Discovery& discovery = discovered.discovery;
  const std::optional<std::string>& scope = discovered.scope;
  store::DiscoveryRecord record = to_record(discovery, options_.server_url);
  if (const auto before = options_.store->load_discovery(options_.server_url)) {
    // What the MCP server spoke is not the authorization's to forget.
    record.protocol_version = before->protocol_version;
    record.transport = before->transport;
  }
  options_.store->save_discovery(record);
  prepare_dpop(discovery, challenge);

  // Of several processes needing the user's consent for this grant at once,
  // one asks; the others wait for its tokens (or for its claim to end). One
  // with nobody to ask does not wait: it takes tokens already stored, else
  // its need is its answer (the flow fails with it below).
  std::unique_ptr<FlowClaim> claim;
  const bool interactive = options_.grant == Grant::authorization_code || options_.grant == Grant::device_code;
  const bool nobody_here = nobody_to_ask(consent_handler);
  if (nobody_here && !scope_hint && adopt_stored_locked(discovery, rejected)) {
    notify("Authorized by " + client_->issuer + " in another mcpauth process.");
    need_.reset();
    return;
  }
  if (interactive && !nobody_here) {
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
        need_.reset();
        return;
      }
      if (options_.store->claim_flow(flow_key, ttl)) break;
      if (!told) {
        debug("the consent for this grant is claimed by another process; waiting for its tokens");
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
      while_unlocked([this] { waits_.pause(std::chrono::milliseconds(200)); });  // polling another process
    }
    claim = std::make_unique<FlowClaim>(*options_.store, flow_key);
    // The claim's previous holder may have finished just before we took it.
    if (may_adopt && adopt_stored_locked(discovery, rejected)) {
      notify("Authorized by " + client_->issuer + " in another mcpauth process.");
      need_.reset();
      return;
    }
  }

  core::oauth::Done done;
  try {
    // The store's client for the issuer is read only now: the claim's
    // previous holder may have registered one.
    flow.on_discovered(options_.store->load_client(discovery.as.issuer), dpop_ != nullptr);
    done = std::get<core::oauth::Done>(drive(flow, consent_handler, consent));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::authorization_required) throw;
    // A need: say what it is, for the host that will run it.
    ErrorDetail detail = e.detail();
    if (detail.resource.empty()) detail.resource = discovery.resource.value_or(options_.server_url);
    if (detail.issuer.empty()) detail.issuer = discovery.as.issuer;
    // What the server asked for, else what this authorization would ask for.
    if (detail.required_scope.empty()) detail.required_scope = challenge.scope.value_or(scope.value_or(""));
    throw with_detail(e, std::move(detail));
  }
  client_ = std::move(done.client);
  TokenSet tokens = std::move(done.tokens);
  if (client_->kind == ClientKind::pre_registered) options_.store->save_client(*client_);
  // Only tokens of our own count against the budget: not adopted ones, and
  // not a consent that timed out or was declined (nothing the server rejected).
  ++authorizations_;
  if (dpop_ && net::iequals(tokens.token_type, "DPoP")) tokens.dpop_key_pem = dpop_->private_key_pem();
  key_ = store::TokenKey{resource_key(discovery, options_.server_url), discovery.as.issuer, client_->client_id,
                         options_.account};
  options_.store->save_tokens(*key_, tokens);
  outcome.authorized();
  forget_other_clients_grants();
  tokens_ = std::move(tokens);
  requested_scope_ = scope;
  discovery_ = discovery;
  need_.reset();
  notify("Authorized by " + client_->issuer + (tokens_->scope ? " (scope: " + *tokens_->scope + ")" : "") + ".");
}

// One grant per server and account: a grant made with an earlier (replaced)
// client registration is dropped when a new one is stored.
void Authorizer::Impl::forget_other_clients_grants() {
  for (const auto& grant : options_.store->list_grants_of(key_->resource, key_->issuer, key_->account)) {
    if (grant.key.client_id != key_->client_id) options_.store->remove_tokens(grant.key);
  }
}

// DPoP needs both sides (core::oauth::dpop_available), the user's leave, and
// a resource that has not refused a DPoP-bound token already.
void Authorizer::Impl::prepare_dpop(const Discovery& d, const AuthChallenge& challenge) {
  const bool use = options_.use_dpop && !bearer_only_ && core::oauth::dpop_available(d, challenge);
  if (use && !dpop_) dpop_ = std::make_unique<DpopKey>();
  if (!use) dpop_.reset();
}

// Single flight across threads and processes: the store's per-grant lock is
// held from re-reading the grant to persisting the rotated refresh token.
// Returns whether a usable new token is now held.
bool Authorizer::Impl::refresh_locked() {
  if (!tokens_ || !client_ || !discovery_ || !key_) return false;
  const std::string held = tokens_->access_token;
  // Seen by refreshing() from any thread (a dashboard), without the state lock.
  ++refreshing_;
  if (options_.refreshing_changed) options_.refreshing_changed();
  struct Refreshed {
    Impl& impl;
    ~Refreshed() {
      --impl.refreshing_;
      if (impl.options_.refreshing_changed) impl.options_.refreshing_changed();
    }
  } refreshed{*this};
  std::optional<core::oauth::OAuthError> refused;
  auto current = options_.store->update_tokens(*key_, [&](const std::optional<TokenSet>& stored) {
    // Logged out meanwhile, or another thread or process refreshed already: take what is there.
    if (!stored || stored->access_token != held || !stored->refresh_token) return store::TokenDecision::keep();
    try {
      auto flow =
          core::oauth::AuthorizationFlow::refresh(flow_settings(false), *discovery_, *client_, *stored->refresh_token,
                                                  stored->scope, dpop_ != nullptr, Clock::now(), random_);
      std::unique_ptr<ConsentSession> no_consent;
      TokenSet fresh = std::get<core::oauth::Done>(drive(flow, nullptr, no_consent)).tokens;
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
    if (options_.grant_refused) options_.grant_refused(refused->oauth_error());
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
AuthorizationInfo Authorizer::authorize(ConsentHandler& consent, const std::optional<std::string>& scope) {
  return impl_->authorize(consent, scope);
}
bool Authorizer::refreshing() const {
  return impl_->refreshing();
}
bool Authorizer::waiting_for_user() const {
  return impl_->waiting_for_user();
}
void Authorizer::cancel() {
  impl_->cancel();
}

std::shared_ptr<mcp::RequestAuthorizer> credentials(std::shared_ptr<mcp::RequestAuthorizer> oauth,
                                                    net::HttpHeaders headers) {
  if (headers.empty()) return oauth;
  auto fixed = std::make_shared<mcp::StaticHeaders>(std::move(headers));
  if (!oauth) return fixed;
  return std::make_shared<CompositeAuthorizer>(std::vector<std::shared_ptr<mcp::RequestAuthorizer>>{oauth, fixed});
}

}  // namespace mcpauth::auth

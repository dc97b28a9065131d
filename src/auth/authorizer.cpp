#include "mcpauth/auth/authorizer.hpp"

#include <array>
#include <mutex>
#include <thread>

#include "form_post.hpp"
#include "mcpauth/auth/dpop.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"
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

// The machine's randomness: the OS CSPRNG.
class SystemRandom final : public core::oauth::RandomSource {
 public:
  std::string token() override { return random_token(); }
  std::array<std::uint8_t, 32> bytes() override { return random_bytes(); }
};

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
  void prepare_dpop(const Discovery& discovery, const core::oauth::AuthChallenge& challenge);
  void forget_other_clients_grants();
  bool refresh_locked();
  void adopt(core::oauth::TokenSet tokens);
  core::oauth::FlowSettings flow_settings() const;
  const core::oauth::FlowAction& drive(core::oauth::AuthorizationFlow& flow, std::unique_ptr<ConsentSession>& consent);
  void fetch_metadata(core::oauth::AuthorizationFlow& flow, const std::string& url);
  void post(core::oauth::AuthorizationFlow& flow, const core::oauth::Post& action);
  void open_consent(core::oauth::AuthorizationFlow& flow, const core::oauth::OpenConsent& open,
                    std::unique_ptr<ConsentSession>& consent);
  void show_device_code(const core::oauth::DeviceAuthorization& device) const;
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
  SystemRandom random_;
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
  core::oauth::AuthorizationFlow flow(flow_settings(), challenge, scope_hint, Clock::now(), random_);
  std::unique_ptr<ConsentSession> consent;
  const auto discovered = std::get<core::oauth::Discovered>(drive(flow, consent));
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

  // The store's client for the issuer is read only now: the claim's
  // previous holder may have registered one.
  flow.on_discovered(options_.store->load_client(discovery.as.issuer), dpop_ != nullptr);
  auto done = std::get<core::oauth::Done>(drive(flow, consent));
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
  forget_other_clients_grants();
  tokens_ = std::move(tokens);
  requested_scope_ = scope;
  discovery_ = discovery;
  notify("Authorized by " + client_->issuer + (tokens_->scope ? " (scope: " + *tokens_->scope + ")" : "") + ".");
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

// DPoP needs both sides (core::oauth::dpop_available), the user's leave, and
// a resource that has not refused a DPoP-bound token already.
void Authorizer::Impl::prepare_dpop(const Discovery& d, const AuthChallenge& challenge) {
  const bool use = options_.use_dpop && !bearer_only_ && core::oauth::dpop_available(d, challenge);
  if (use && !dpop_) dpop_ = std::make_unique<DpopKey>();
  if (!use) dpop_.reset();
}

core::oauth::FlowSettings Authorizer::Impl::flow_settings() const {
  core::oauth::FlowSettings s;
  s.discovery = {options_.server_url, options_.resource, options_.client.issuer, options_.send_resource};
  s.grant = options_.grant;
  s.client = options_.client;
  s.scope = options_.scope;
  s.assertion = options_.assertion;
  s.identity_provider = options_.identity_provider;
  s.client_name = options_.client_name;
  s.software_version = version();
  s.can_ask_consent = options_.consent != nullptr;
  s.consent_timeout = options_.consent_timeout;
  return s;
}

// Carries out the machine's actions until it stops at a decision of this
// driver (Discovered) or is done; throws the Error it failed with. `consent`
// lives as long as the authorization: it receives the redirect.
const core::oauth::FlowAction& Authorizer::Impl::drive(core::oauth::AuthorizationFlow& flow,
                                                       std::unique_ptr<ConsentSession>& consent) {
  using namespace core::oauth;
  while (true) {
    const FlowAction& action = flow.next();
    if (std::holds_alternative<Discovered>(action) || std::holds_alternative<Done>(action)) return action;
    if (const auto* failed = std::get_if<Failed>(&action)) failed->raise();
    if (const auto* fetch = std::get_if<FetchMetadata>(&action)) {
      fetch_metadata(flow, fetch->url);
    } else if (const auto* p = std::get_if<Post>(&action)) {
      post(flow, *p);
    } else if (const auto* open = std::get_if<OpenConsent>(&action)) {
      open_consent(flow, *open, consent);
    } else if (const auto* ask = std::get_if<AskUser>(&action)) {
      const ConsentPrompt prompt{ask->authorization_url, ask->issuer, options_.server_url, ask->state,
                                 options_.consent_timeout};
      FormFields params;
      while_unlocked([&] { params = consent->await(prompt); });
      flow.on_callback(params, Clock::now());
    } else if (const auto* wait = std::get_if<Wait>(&action)) {
      const auto duration = wait->duration;
      while_unlocked([&] { std::this_thread::sleep_for(duration); });  // RFC 8628 §3.5: the server sets the pace
      flow.on_waited(Clock::now());
    } else {
      if (const auto* show = std::get_if<ShowDeviceCode>(&action)) show_device_code(show->device);
      if (const auto* line = std::get_if<Notify>(&action)) notify(line->line);
      if (const auto* save = std::get_if<SaveClient>(&action)) options_.store->save_client(save->client);
      if (const auto* forget = std::get_if<ForgetClient>(&action)) options_.store->remove_client(forget->issuer);
      flow.acknowledge();
    }
  }
}

void Authorizer::Impl::fetch_metadata(core::oauth::AuthorizationFlow& flow, const std::string& url) {
  net::HttpResponse response;
  try {
    response = options_.http->send(metadata_request(url, options_.http_timeout));
  } catch (const Error& e) {
    return flow.on_transport_failure(e);
  }
  flow.on_answer(http_answer(response), Clock::now());
}

void Authorizer::Impl::post(core::oauth::AuthorizationFlow& flow, const core::oauth::Post& action) {
  net::HttpResponse response;
  try {
    if (action.kind == core::oauth::PostKind::registration) {
      net::HttpRequest request;
      request.method = "POST";
      request.url = action.request.url;
      request.headers.set("Content-Type", "application/json");
      request.headers.set("Accept", "application/json");
      request.body = action.request.body;
      request.total_timeout = options_.http_timeout;
      request.max_response_bytes = core::oauth::kMaxMetadataBytes;
      response = options_.http->send(request);
    } else {
      if (action.dpop_nonce) as_nonce_ = action.dpop_nonce;
      net::HttpRequest request = detail::form_post(action.request, options_.http_timeout);
      if (dpop_) request.headers.set("DPoP", dpop_->proof("POST", request.url, std::nullopt, as_nonce_));
      response = send_token_request(request);
    }
  } catch (const Error& e) {
    return flow.on_transport_failure(e);
  }
  flow.on_answer(http_answer(response), Clock::now());
}

void Authorizer::Impl::open_consent(core::oauth::AuthorizationFlow& flow, const core::oauth::OpenConsent& open,
                                    std::unique_ptr<ConsentSession>& consent) {
  try {
    consent = open.preferred_redirect_uri.empty()
                  ? options_.consent->begin(open.issuer)
                  : options_.consent->begin_preferring(open.issuer, open.preferred_redirect_uri);
  } catch (const Error& e) {
    return flow.on_consent_failed(e);
  }
  flow.on_consent_opened(consent->redirect_uri());
}

void Authorizer::Impl::show_device_code(const core::oauth::DeviceAuthorization& device) const {
  if (options_.device_prompt) return options_.device_prompt(device);
  notify("To authorize mcpauth for " + options_.server_url + ", open " +
         device.verification_uri_complete.value_or(device.verification_uri) + " and enter the code " +
         device.user_code + ".");
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
      auto flow =
          core::oauth::AuthorizationFlow::refresh(flow_settings(), *discovery_, *client_, *stored->refresh_token,
                                                  stored->scope, dpop_ != nullptr, Clock::now(), random_);
      std::unique_ptr<ConsentSession> no_consent;
      TokenSet fresh = std::get<core::oauth::Done>(drive(flow, no_consent)).tokens;
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

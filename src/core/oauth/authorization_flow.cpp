#include "mcpauth/core/oauth/authorization_flow.hpp"

#include "guarded_step.hpp"
#include "mcpauth/core/oauth/pkce.hpp"

namespace mcpauth::core::oauth {
namespace {

ClientUse client_use(Grant grant) {
  switch (grant) {
    case Grant::authorization_code: return ClientUse::browser;
    case Grant::device_code: return ClientUse::device;
    case Grant::client_credentials: return ClientUse::client_credentials;
    default: return ClientUse::assertion;
  }
}

// RFC 9449 §8: the authorization server wants a nonce in the proof.
std::optional<std::string> asked_nonce(const HttpAnswer& answer) {
  if (answer.status != 400 || answer.body.find("use_dpop_nonce") == std::string::npos) return std::nullopt;
  return answer.header("DPoP-Nonce");
}

}  // namespace

std::string_view to_string(PostKind kind) noexcept {
  switch (kind) {
    case PostKind::registration: return "registration";
    case PostKind::token: return "token";
    case PostKind::device_authorization: return "device_authorization";
    case PostKind::identity_assertion: return "identity_assertion";
  }
  return "unknown";
}

std::string_view to_string(FlowState state) noexcept {
  switch (state) {
    case FlowState::fetching_resource_metadata: return "fetching_resource_metadata";
    case FlowState::fetching_server_metadata: return "fetching_server_metadata";
    case FlowState::discovered: return "discovered";
    case FlowState::registering_client: return "registering_client";
    case FlowState::opening_consent: return "opening_consent";
    case FlowState::awaiting_callback: return "awaiting_callback";
    case FlowState::exchanging_identity_assertion: return "exchanging_identity_assertion";
    case FlowState::requesting_device_code: return "requesting_device_code";
    case FlowState::waiting_to_poll: return "waiting_to_poll";
    case FlowState::polling_device: return "polling_device";
    case FlowState::exchanging_token: return "exchanging_token";
    case FlowState::done: return "done";
    case FlowState::failed: return "failed";
  }
  return "unknown";
}

AuthorizationFlow::AuthorizationFlow(FlowSettings settings, Clock::time_point now, RandomSource& random)
    : settings_(std::move(settings)), random_(&random), now_(now) {}

AuthorizationFlow::AuthorizationFlow(FlowSettings settings, const AuthChallenge& challenge,
                                     std::optional<std::string> scope_hint, Clock::time_point now, RandomSource& random)
    : AuthorizationFlow(std::move(settings), now, random) {
  challenge_ = challenge;
  scope_hint_ = std::move(scope_hint);
  discovery_flow_.emplace(settings_.discovery, challenge);
  follow_discovery();
}

AuthorizationFlow AuthorizationFlow::refresh(FlowSettings settings, Discovery discovery, ClientRegistration client,
                                             std::string refresh_token, std::optional<std::string> scope, bool dpop,
                                             Clock::time_point now, RandomSource& random) {
  AuthorizationFlow flow(std::move(settings), now, random);
  flow.refreshing_ = true;
  flow.discovery_ = std::move(discovery);
  flow.client_ = std::move(client);
  flow.scope_ = std::move(scope);
  flow.dpop_ = dpop;
  flow.previous_refresh_ = refresh_token;
  flow.guarded([&] {
    flow.post(FlowState::exchanging_token, PostKind::token,
              refresh_token_request(flow.discovery_.as.token_endpoint, refresh_token, flow.discovery_.resource,
                                    *flow.client_, now, random.token(), flow.scope_));
  });
  return flow;
}

const FlowAction& AuthorizationFlow::next() const {
  return effects_.empty() ? action_ : effects_.front();
}

// A feed that does not answer the pending action is the driver's bug.
template <class A>
void AuthorizationFlow::expect(const char* feed) const {
  if (!std::holds_alternative<A>(next())) {
    throw Error(ErrorCode::usage, std::string("the authorization flow was given ") + feed + " in state " +
                                      std::string(to_string(state_)));
  }
}

// Runs one step; any check that throws ends the flow with that Error.
template <class F>
void AuthorizationFlow::guarded(F&& step) {
  detail::run_guarded(step, [this](std::exception_ptr error) { fail(std::move(error)); });
}

// Effects already queued (a registration to keep) are still answered first.
void AuthorizationFlow::fail(std::exception_ptr error) {
  set(FlowState::failed, Failed{std::move(error)});
}

void AuthorizationFlow::set(FlowState state, FlowAction action) {
  state_ = state;
  action_ = std::move(action);
}

void AuthorizationFlow::effect(FlowAction action) {
  effects_.push_back(std::move(action));
}

void AuthorizationFlow::follow_discovery() {
  const DiscoveryFlow& d = *discovery_flow_;
  switch (d.state()) {
    case DiscoveryState::fetching_resource_metadata: return set(FlowState::fetching_resource_metadata, d.fetch());
    case DiscoveryState::fetching_server_metadata: return set(FlowState::fetching_server_metadata, d.fetch());
    case DiscoveryState::failed: return fail(d.error());
    case DiscoveryState::done: break;
  }
  discovery_ = d.result();
  guarded([&] {
    if (settings_.grant == Grant::authorization_code) require_pkce_s256(discovery_.as);
    scope_ = scope_hint_       ? scope_hint_
             : settings_.scope ? settings_.scope
                               : initial_scope(challenge_, discovery_.prm ? &*discovery_.prm : nullptr, discovery_.as);
    // RFC 6749 §4.4.3: no refresh token for client credentials, so none is
    // asked for (strict servers refuse offline_access with invalid_scope).
    if (settings_.grant == Grant::client_credentials && scope_ && !settings_.scope && !scope_hint_) {
      std::string kept;
      for (const auto& item : scope_list(*scope_)) {
        if (item != "offline_access") kept += (kept.empty() ? "" : " ") + item;
      }
      scope_ = kept.empty() ? std::nullopt : std::optional(kept);
    }
    set(FlowState::discovered, Discovered{discovery_, scope_});
  });
}

void AuthorizationFlow::on_discovered(std::optional<ClientRegistration> stored_client, bool dpop) {
  expect<Discovered>("on_discovered");
  stored_ = std::move(stored_client);
  dpop_ = dpop;
  guarded([&] { begin_grant(); });
}

void AuthorizationFlow::begin_grant() {
  const std::string& server_url = settings_.discovery.server_url;
  const AuthorizationServerMetadata& as = discovery_.as;
  switch (settings_.grant) {
    case Grant::authorization_code: {
      if (!settings_.can_ask_consent) {
        throw Error(ErrorCode::authorization_required,
                    "the server at " + server_url + " requires authorization by " + as.issuer +
                        " and no consent can be asked for here; authorize interactively first",
                    server_url, 0, {.remedies = {Remedy::interactive_consent}});
      }
      // The redirect URI of the stored registration, so that every
      // authorization at this server reuses it (one registration, not one per login).
      std::string preferred;
      if (stored_ && !stored_->redirect_uris.empty()) preferred = stored_->redirect_uris.front();
      return set(FlowState::opening_consent, OpenConsent{as.issuer, preferred});
    }
    case Grant::device_code:
      if (!supports_device_grant(as)) {
        throw Error(ErrorCode::authorization_required,
                    "the authorization server " + as.issuer +
                        " does not offer device login (RFC 8628); use a browser login (the authorization code grant) "
                        "instead, opening the URL yourself where no browser runs",
                    as.issuer, 0, {.remedies = {Remedy::use_browser_grant, Remedy::open_url_manually}});
      }
      return obtain_client("");
    case Grant::jwt_bearer:
      if (!settings_.assertion) throw Error(ErrorCode::usage, "the jwt-bearer grant needs an assertion");
      assertion_ = *settings_.assertion;
      return obtain_client("");
    case Grant::identity_assertion: {
      if (!settings_.identity_provider) throw Error(ErrorCode::usage, "enterprise-managed authorization needs an IdP");
      const IdentityProviderConfig& idp = *settings_.identity_provider;
      ClientRegistration idp_client;
      idp_client.client_id = idp.client_id;
      idp_client.client_secret = idp.client_secret;
      idp_client.token_endpoint_auth_method = idp.client_secret ? "client_secret_post" : "none";
      const IdentityAssertionRequest exchange{idp.token_endpoint, idp.id_token, as.issuer, discovery_.resource, scope_};
      return post(FlowState::exchanging_identity_assertion, PostKind::identity_assertion,
                  identity_assertion_request(exchange, idp_client, now_, random_->token()));
    }
    case Grant::client_credentials: return obtain_client("");
  }
}

void AuthorizationFlow::obtain_client(const std::string& redirect_uri) {
  ClientChoiceInput input;
  input.as = discovery_.as;
  input.configured = settings_.client;
  if (!settings_.client.client_id) input.stored = stored_;
  input.use = client_use(settings_.grant);
  input.redirect_uri = redirect_uri;
  input.scope = scope_;
  input.client_name = settings_.client_name;
  input.software_version = settings_.software_version;
  input.server_url = settings_.discovery.server_url;
  ClientChoice choice = choose_client(input);
  if (choice.source == ClientSource::registration) {
    registration_ = std::move(choice.registration);
    TokenRequest request;
    request.url = *discovery_.as.registration_endpoint;
    request.body = registration_body(registration_);
    return set(FlowState::registering_client, Post{PostKind::registration, std::move(request), std::nullopt});
  }
  client_ = std::move(*choice.client);
  // A metadata document client is kept at once; a client the user configured
  // is only kept once a token exchange proved it (the driver, on Done), so a
  // mistyped id is never remembered.
  if (choice.source != ClientSource::stored && client_->kind != ClientKind::pre_registered) {
    effect(SaveClient{*client_});
  }
  with_client();
}

void AuthorizationFlow::on_registration_answer(const HttpAnswer& answer) {
  const std::string& url = std::get<Post>(action_).request.url;
  if (discovery_.as.from_defaults && (answer.status < 200 || answer.status >= 300)) {
    // Nothing was published and the guessed /register is not there either:
    // most likely a server that takes a static token, not an OAuth one.
    const std::string& server_url = settings_.discovery.server_url;
    throw Error(ErrorCode::unauthorized,
                "the server at " + server_url +
                    " answered HTTP 401 but publishes no OAuth metadata (no protected resource metadata, no "
                    "authorization server metadata, and " +
                    url + " answered HTTP " + std::to_string(answer.status) +
                    "); if it takes a static token, send it in an Authorization header",
                server_url, 401, {.remedies = {Remedy::static_token}});
  }
  client_ =
      parse_registration_response(answer.status, answer.body, url, discovery_.as.issuer, registration_, discovery_.as);
  // A registration is the authorization server's record and is kept at once.
  effect(Notify{"Registered mcpauth as a client of " + discovery_.as.issuer + "."});
  effect(SaveClient{*client_});
  with_client();
}

void AuthorizationFlow::with_client() {
  const AuthorizationServerMetadata& as = discovery_.as;
  switch (settings_.grant) {
    case Grant::authorization_code: {
      const auto pkce = make_pkce(random_->bytes());
      flow_ = {};
      flow_.issuer = as.issuer;
      flow_.authorization_endpoint = as.authorization_endpoint;
      flow_.token_endpoint = as.token_endpoint;
      flow_.client_id = client_->client_id;
      flow_.redirect_uri = redirect_uri_;
      flow_.state = random_->token();
      flow_.code_verifier = pkce.verifier;
      flow_.code_challenge = pkce.challenge;
      flow_.scope = scope_;
      flow_.resource = discovery_.resource;
      flow_.iss_parameter_supported = as.authorization_response_iss_parameter_supported;
      // Without a fresh consent many servers (Google, Keycloak) issue no new refresh token.
      FormFields extra = settings_.extra_authorization_params;
      if (scope_ && scope_covers(*scope_, "offline_access") && !find_field(extra, "prompt")) {
        extra.emplace_back("prompt", "consent");
      }
      std::string url = authorization_url(flow_, extra);
      require_secure_url(url, "authorization URL");
      return set(FlowState::awaiting_callback, AskUser{std::move(url), as.issuer, flow_.state});
    }
    case Grant::client_credentials:
      return post(
          FlowState::exchanging_token, PostKind::token,
          client_credentials_request(as.token_endpoint, scope_, discovery_.resource, *client_, now_, random_->token()));
    case Grant::device_code:
      return post(FlowState::requesting_device_code, PostKind::device_authorization,
                  device_authorization_request(*as.device_authorization_endpoint, scope_, discovery_.resource, *client_,
                                               now_, random_->token()));
    case Grant::jwt_bearer:
    case Grant::identity_assertion:
      return post(FlowState::exchanging_token, PostKind::token,
                  jwt_bearer_request(as.token_endpoint, assertion_, scope_, discovery_.resource, *client_, now_,
                                     random_->token()));
  }
}

void AuthorizationFlow::post(FlowState state, PostKind kind, TokenRequest request) {
  nonce_retried_ = false;
  set(state, Post{kind, std::move(request), dpop_ ? dpop_nonce_ : std::nullopt});
}

void AuthorizationFlow::on_consent_opened(const std::string& redirect_uri) {
  expect<OpenConsent>("on_consent_opened");
  redirect_uri_ = redirect_uri;
  guarded([&] { obtain_client(redirect_uri); });
}

void AuthorizationFlow::on_consent_failed(const Error& error) {
  expect<OpenConsent>("on_consent_failed");
  if (error.code() != ErrorCode::authorization_required || !discovery_.as.from_defaults) {
    return fail(std::make_exception_ptr(error));
  }
  // Nothing published and no way to ask the user: most likely a static-token server.
  const std::string& server_url = settings_.discovery.server_url;
  fail(std::make_exception_ptr(
      Error(ErrorCode::authorization_required,
            "the server at " + server_url +
                " answered HTTP 401 and publishes no OAuth metadata; if it takes a static token, send it in an "
                "Authorization header (else: " +
                error.what() + ")",
            server_url, 401, {.remedies = Remedies(error.remedies()).add(Remedy::static_token)})));
}

void AuthorizationFlow::on_callback(const FormFields& params, Clock::time_point now) {
  expect<AskUser>("on_callback");
  now_ = now;
  guarded([&] {
    const std::string code = code_from_callback(params, flow_);
    post(FlowState::exchanging_token, PostKind::token,
         authorization_code_request(flow_, code, *client_, now_, random_->token()));
  });
}

void AuthorizationFlow::on_answer(const HttpAnswer& answer, Clock::time_point now) {
  if (std::holds_alternative<FetchMetadata>(next())) {
    discovery_flow_->on_answer(answer);
    return follow_discovery();
  }
  expect<Post>("on_answer");
  now_ = now;
  Post& pending = std::get<Post>(action_);
  if (pending.kind != PostKind::registration && dpop_ && !nonce_retried_) {
    if (auto nonce = asked_nonce(answer)) {  // once per request: a second demand is an answer
      nonce_retried_ = true;
      dpop_nonce_ = nonce;
      pending.dpop_nonce = std::move(nonce);
      return;
    }
  }
  const std::string url = pending.request.url;
  try {
    switch (state_) {
      case FlowState::registering_client: return on_registration_answer(answer);
      case FlowState::exchanging_identity_assertion:
        assertion_ = parse_identity_assertion_response(answer.status, answer.body, url);
        effect(Notify{"Obtained an identity assertion from " + url + "."});
        return obtain_client("");
      case FlowState::requesting_device_code:
        device_ = parse_device_authorization_response(answer.status, answer.body, url, now_);
        device_endpoint_ = url;
        effect(ShowDeviceCode{device_});
        device_deadline_ = now_ + settings_.consent_timeout;
        interval_ = device_.interval;
        return schedule_poll();
      case FlowState::polling_device: {
        auto result = parse_device_token_response(answer.status, answer.body, url, now_, scope_, dpop_);
        if (result.tokens) return set(FlowState::done, Done{std::move(*result.tokens), *client_, discovery_, scope_});
        interval_ = next_interval(interval_, result.kind);
        return schedule_poll();
      }
      default: return on_token_answer(answer);
    }
  } catch (const OAuthError& e) {
    if (!register_again(e)) fail(std::current_exception());
  } catch (const Error&) {
    fail(std::current_exception());
  }
}

void AuthorizationFlow::on_token_answer(const HttpAnswer& answer) {
  const std::string& url = std::get<Post>(action_).request.url;
  TokenSet tokens = parse_token_response(answer.status, answer.body, url, now_, scope_, previous_refresh_, dpop_);
  set(FlowState::done, Done{std::move(tokens), *client_, discovery_, scope_});
}

// A dynamic registration the authorization server no longer knows
// (invalid_client) is replaced once, without the user deleting anything.
bool AuthorizationFlow::register_again(const OAuthError& error) {
  const bool stale_client = error.oauth_error() == "invalid_client" || error.oauth_error() == "unauthorized_client";
  if (!stale_client || refreshing_ || registered_again_ || !client_ || client_->kind != ClientKind::dynamic) {
    return false;
  }
  registered_again_ = true;
  stored_.reset();
  client_.reset();
  effect(ForgetClient{discovery_.as.issuer});
  effect(Notify{"The authorization server no longer accepts the stored registration; registering mcpauth again."});
  guarded([&] { begin_grant(); });
  return true;
}

// Ends the polling at the code's lifetime or the consent timeout, else waits the interval.
void AuthorizationFlow::schedule_poll() {
  check_device_code_expiry(device_, now_, device_endpoint_);
  if (now_ + interval_ > device_deadline_) {
    throw Error(ErrorCode::consent_timeout,
                "the device code was not approved within " + std::to_string(settings_.consent_timeout.count() / 1000) +
                    " s; start a new device login",
                device_endpoint_, 0, {.remedies = {Remedy::retry}});
  }
  set(FlowState::waiting_to_poll, Wait{interval_});
}

void AuthorizationFlow::on_waited(Clock::time_point now) {
  expect<Wait>("on_waited");
  now_ = now;
  guarded([&] {
    post(FlowState::polling_device, PostKind::token,
         device_token_request(discovery_.as.token_endpoint, device_.device_code, discovery_.resource, *client_, now_,
                              random_->token()));
  });
}

void AuthorizationFlow::on_transport_failure(const Error& error) {
  if (std::holds_alternative<FetchMetadata>(next())) {
    discovery_flow_->on_transport_failure(error);
    return follow_discovery();
  }
  expect<Post>("on_transport_failure");
  if (std::get<Post>(action_).kind == PostKind::registration) {
    return fail(std::make_exception_ptr(Error(ErrorCode::auth_server_unreachable,
                                              std::string("cannot register a client: ") + error.what(),
                                              std::get<Post>(action_).request.url)));
  }
  // The driver already sent it again as far as that was safe (core/oauth/retry).
  fail(std::make_exception_ptr(error));
}

void AuthorizationFlow::acknowledge() {
  if (effects_.empty()) throw Error(ErrorCode::usage, "the authorization flow has nothing to acknowledge");
  effects_.pop_front();
}

}  // namespace mcpauth::core::oauth

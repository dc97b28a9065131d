// The authorization machine (core/oauth/authorization_flow, discovery)
// driven by hand: each test answers the actions it is asked for with
// scripted results and checks what the machine asks next, down every
// branch: each discovery fallback, each kind of client, each grant, the
// DPoP nonce retry, the one re-registration, and every refusal.
#include "mcpauth/core/oauth/authorization_flow.hpp"

#include <gtest/gtest.h>

#include <set>

#include "mcpauth/core/oauth/pkce.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

using namespace std::chrono_literals;

constexpr const char* kServer = "https://mcp.example/mcp";
constexpr const char* kPrmPath = "https://mcp.example/.well-known/oauth-protected-resource/mcp";
constexpr const char* kPrmRoot = "https://mcp.example/.well-known/oauth-protected-resource";
constexpr const char* kNamedPrm = "https://mcp.example/meta/prm.json";
constexpr const char* kIssuer = "https://as.example";
constexpr const char* kOAuthMeta = "https://as.example/.well-known/oauth-authorization-server";
constexpr const char* kOidcMeta = "https://as.example/.well-known/openid-configuration";
constexpr const char* kRedirect = "http://127.0.0.1:8765/callback";
constexpr const char* kToken = "https://as.example/token";
const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'900'000'000));

// Numbered values, so a test can say which one went where.
class ScriptedRandom final : public RandomSource {
 public:
  int tokens = 0;
  std::string token() override { return "rnd-" + std::to_string(++tokens); }
  std::array<std::uint8_t, 32> bytes() override {
    std::array<std::uint8_t, 32> b{};
    b.fill(7);
    return b;
  }
};

Json prm(const std::string& resource = kServer, const std::string& issuer = kIssuer) {
  return Json{{"resource", resource}, {"authorization_servers", {issuer}}, {"scopes_supported", {"read", "write"}}};
}

Json as_meta(const std::string& issuer = kIssuer) {
  return Json{{"issuer", issuer},
              {"authorization_endpoint", issuer + "/authorize"},
              {"token_endpoint", issuer + "/token"},
              {"registration_endpoint", issuer + "/register"},
              {"device_authorization_endpoint", issuer + "/device"},
              {"code_challenge_methods_supported", {"S256"}},
              {"scopes_supported", {"read", "offline_access"}},
              {"authorization_response_iss_parameter_supported", true}};
}

HttpAnswer ok(const Json& body) {
  return {200, {{"Content-Type", "application/json"}}, body.dump()};
}
HttpAnswer status(int code, const std::string& body = "") {
  return {code, {{"Content-Type", "application/json"}}, body};
}
HttpAnswer tokens(const std::string& access = "at-1") {
  return ok(Json{{"access_token", access}, {"token_type", "Bearer"}, {"expires_in", 3600}, {"refresh_token", "rt-1"}});
}
HttpAnswer oauth_error(int code, const std::string& error) {
  return status(code, Json{{"error", error}}.dump());
}

FlowSettings settings(Grant grant = Grant::authorization_code) {
  FlowSettings s;
  s.discovery.server_url = kServer;
  s.grant = grant;
  s.software_version = "test";
  s.consent_timeout = 300s;
  return s;
}

AuthChallenge named(const std::string& url = kNamedPrm) {
  AuthChallenge c;
  c.bearer = true;
  c.resource_metadata = url;
  return c;
}

std::string describe(const AuthorizationFlow& flow) {
  std::string text(to_string(flow.state()));
  if (const auto* failed = std::get_if<Failed>(&flow.next())) {
    try {
      failed->raise();
    } catch (const Error& e) {
      text += std::string(": ") + e.what();
    }
  }
  return text;
}

// The pending action, which must be an A (else the test fails, saying what it was).
template <class A>
const A& pending(const AuthorizationFlow& flow) {
  if (!std::holds_alternative<A>(flow.next())) ADD_FAILURE() << "the flow is at " << describe(flow);
  return std::get<A>(flow.next());
}

// The Error the flow failed with.
Error failure(const AuthorizationFlow& flow) {
  try {
    pending<Failed>(flow).raise();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::usage, "no failure");
}

std::string oauth_error_of(const AuthorizationFlow& flow) {
  try {
    pending<Failed>(flow).raise();
  } catch (const OAuthError& e) {
    return e.oauth_error();
  } catch (const Error&) {
  }
  return "<not an OAuthError>";
}

std::string field(const std::string& form, const char* name) {
  const FormFields fields = parse_form(form);
  const std::string* value = find_field(fields, name);
  return value ? *value : "<absent>";
}

std::string query_field(const std::string& url, const char* name) {
  return field(parse_url(url).query, name);
}

// Answers the named PRM and the OAuth metadata: the flow is then at Discovered.
void discover(AuthorizationFlow& flow, const Json& as = as_meta()) {
  EXPECT_EQ(pending<FetchMetadata>(flow).url, kNamedPrm);
  flow.on_answer(ok(prm()), kNow);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, kOAuthMeta);
  flow.on_answer(ok(as), kNow);
  ASSERT_EQ(flow.state(), FlowState::discovered) << describe(flow);
}

// Answers every effect (Notify, SaveClient, ...) and returns them in order.
std::vector<FlowAction> drain(AuthorizationFlow& flow) {
  std::vector<FlowAction> effects;
  while (std::holds_alternative<Notify>(flow.next()) || std::holds_alternative<SaveClient>(flow.next()) ||
         std::holds_alternative<ForgetClient>(flow.next()) || std::holds_alternative<ShowDeviceCode>(flow.next())) {
    effects.push_back(flow.next());
    flow.acknowledge();
  }
  return effects;
}

template <class A>
int count(const std::vector<FlowAction>& effects) {
  int n = 0;
  for (const auto& e : effects) n += std::holds_alternative<A>(e) ? 1 : 0;
  return n;
}

ClientRegistration stored_dynamic() {
  ClientRegistration c;
  c.issuer = kIssuer;
  c.client_id = "stored-1";
  c.redirect_uris = {kRedirect};
  c.kind = ClientKind::dynamic;
  return c;
}

HttpAnswer registered(const std::string& id = "dyn-1") {
  return status(201, Json{{"client_id", id}, {"redirect_uris", {kRedirect}}}.dump());
}

// Through consent and registration to the AskUser of an authorization code flow.
void to_consent(AuthorizationFlow& flow) {
  pending<OpenConsent>(flow);
  flow.on_consent_opened(kRedirect);
  EXPECT_EQ(pending<Post>(flow).kind, PostKind::registration);
  flow.on_answer(registered(), kNow);
  drain(flow);
}

// --- discovery: each fallback ---

TEST(OAuthAuthorizationFlow, FetchesTheResourceMetadataTheChallengeNamedAndOnlyThat) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  EXPECT_EQ(flow.state(), FlowState::fetching_resource_metadata);
  EXPECT_TRUE(pending<FetchMetadata>(flow).required);
  flow.on_answer(status(404), kNow);
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::invalid_metadata);
  EXPECT_NE(std::string(e.what()).find(kNamedPrm), std::string::npos);

  AuthorizationFlow unreachable(settings(), named(), std::nullopt, kNow, random);
  unreachable.on_transport_failure(Error(ErrorCode::connection, "refused"));
  EXPECT_EQ(failure(unreachable).code(), ErrorCode::auth_server_unreachable);
}

TEST(OAuthAuthorizationFlow, WithoutANamedUrlTriesThePathInsertedThenTheRootWellKnown) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), AuthChallenge{}, std::nullopt, kNow, random);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, kPrmPath);
  EXPECT_FALSE(pending<FetchMetadata>(flow).required);
  flow.on_answer(status(404), kNow);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, kPrmRoot);
  flow.on_answer(ok(prm()), kNow);
  EXPECT_EQ(flow.state(), FlowState::fetching_server_metadata);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, kOAuthMeta);
  flow.on_answer(ok(as_meta()), kNow);
  const Discovered& d = pending<Discovered>(flow);
  EXPECT_EQ(d.discovery.prm_url, kPrmRoot);
  EXPECT_EQ(d.discovery.resource, kServer);
  EXPECT_EQ(d.discovery.as.issuer, kIssuer);
  // MCP 2025-11-25 §6: the PRM's scopes, plus offline_access the server lists.
  EXPECT_EQ(d.scope, "read write offline_access");
}

TEST(OAuthAuthorizationFlow, AnUnreachableOptionalCandidateIsSkippedButARefusedAddressIsNot) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), AuthChallenge{}, std::nullopt, kNow, random);
  flow.on_transport_failure(Error(ErrorCode::connection, "reset"));
  EXPECT_EQ(pending<FetchMetadata>(flow).url, kPrmRoot);
  flow.on_transport_failure(Error(ErrorCode::insecure_url, "a link-local address"));
  EXPECT_EQ(failure(flow).code(), ErrorCode::insecure_url);
}

TEST(OAuthAuthorizationFlow, WithoutResourceMetadataTheOriginsMetadataOrTheDefaultsServe) {
  ScriptedRandom random;
  // 2025-03-26: no PRM anywhere; the OAuth document is missing, the OIDC one names the origin.
  AuthorizationFlow oidc(settings(), AuthChallenge{}, std::nullopt, kNow, random);
  oidc.on_answer(status(404), kNow);
  oidc.on_answer(status(404), kNow);
  EXPECT_EQ(pending<FetchMetadata>(oidc).url, "https://mcp.example/.well-known/oauth-authorization-server");
  oidc.on_answer(status(404), kNow);
  EXPECT_EQ(pending<FetchMetadata>(oidc).url, "https://mcp.example/.well-known/openid-configuration");
  oidc.on_answer(ok(as_meta("https://mcp.example")), kNow);
  const Discovery& found = pending<Discovered>(oidc).discovery;
  EXPECT_FALSE(found.prm);
  EXPECT_EQ(found.as_url, "https://mcp.example/.well-known/openid-configuration");
  EXPECT_EQ(found.resource, kServer);

  // Nothing at all: the 2025-03-26 default endpoints on the server's origin.
  AuthorizationFlow defaults(settings(), AuthChallenge{}, std::nullopt, kNow, random);
  for (int i = 0; i < 4; ++i) defaults.on_answer(status(404), kNow);
  const Discovery& guessed = pending<Discovered>(defaults).discovery;
  EXPECT_TRUE(guessed.as.from_defaults);
  EXPECT_EQ(guessed.as.token_endpoint, "https://mcp.example/token");
  EXPECT_EQ(guessed.as_url, "");

  // The origin's metadata may not claim another issuer.
  AuthorizationFlow other(settings(), AuthChallenge{}, std::nullopt, kNow, random);
  other.on_answer(status(404), kNow);
  other.on_answer(status(404), kNow);
  other.on_answer(ok(as_meta(kIssuer)), kNow);
  EXPECT_EQ(failure(other).code(), ErrorCode::issuer_mismatch);
}

TEST(OAuthAuthorizationFlow, AnIssuerWithAPathIsLookedUpInTheOAuthThenBothOidcPlaces) {
  ScriptedRandom random;
  const std::string issuer = "https://as.example/tenant";
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  flow.on_answer(ok(prm(kServer, issuer)), kNow);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, "https://as.example/.well-known/oauth-authorization-server/tenant");
  flow.on_answer(status(404), kNow);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, "https://as.example/.well-known/openid-configuration/tenant");
  flow.on_transport_failure(Error(ErrorCode::connection, "reset"));
  EXPECT_EQ(pending<FetchMetadata>(flow).url, "https://as.example/tenant/.well-known/openid-configuration");
  flow.on_answer(status(404), kNow);
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::invalid_metadata);
  EXPECT_NE(std::string(e.what()).find("no authorization server metadata found for " + issuer), std::string::npos);
}

TEST(OAuthAuthorizationFlow, AnIssuerWithAPathMayPublishOnlyTheOidcDocument) {
  ScriptedRandom random;
  const std::string issuer = "https://as.example/tenant";
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  flow.on_answer(ok(prm(kServer, issuer)), kNow);
  flow.on_answer(status(404), kNow);
  flow.on_answer(ok(as_meta(issuer)), kNow);
  const Discovery& d = pending<Discovered>(flow).discovery;
  EXPECT_EQ(d.as_url, "https://as.example/.well-known/openid-configuration/tenant");
  EXPECT_EQ(d.as.token_endpoint, "https://as.example/tenant/token");
}

TEST(OAuthAuthorizationFlow, ThePreferredIssuerAndTheResourceSettingsApply) {
  ScriptedRandom random;
  FlowSettings s = settings();
  s.discovery.preferred_issuer = "https://other.example";
  s.discovery.send_resource = false;
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  Json two = prm();
  two["authorization_servers"] = {kIssuer, "https://other.example"};
  flow.on_answer(ok(two), kNow);
  EXPECT_EQ(pending<FetchMetadata>(flow).url, "https://other.example/.well-known/oauth-authorization-server");
  flow.on_answer(ok(as_meta("https://other.example")), kNow);
  EXPECT_FALSE(pending<Discovered>(flow).discovery.resource);
}

// --- discovery: every refusal ---

TEST(OAuthAuthorizationFlow, MetadataForAnotherResourceIsRefusedBeforeTheServerMetadataIsFetched) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  flow.on_answer(ok(prm("https://elsewhere.example/mcp")), kNow);
  EXPECT_EQ(failure(flow).code(), ErrorCode::resource_mismatch);
}

TEST(OAuthAuthorizationFlow, MetadataNamingAnotherIssuerIsRefused) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  flow.on_answer(ok(prm()), kNow);
  flow.on_answer(ok(as_meta("https://as.example/")), kNow);  // exact comparison: the slash counts
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch);
  EXPECT_EQ(e.detail().expected_issuer, kIssuer);
}

TEST(OAuthAuthorizationFlow, InsecureOrServerForbiddenUrlsAreRefused) {
  ScriptedRandom random;
  // A resource metadata URL on a metadata-service address: refused before anything is fetched.
  AuthorizationFlow metadata_service(settings(), named("http://169.254.169.254/latest"), std::nullopt, kNow, random);
  EXPECT_EQ(failure(metadata_service).code(), ErrorCode::insecure_url);

  // A token endpoint over plain http on a public host.
  AuthorizationFlow plain(settings(), named(), std::nullopt, kNow, random);
  plain.on_answer(ok(prm()), kNow);
  Json as = as_meta();
  as["token_endpoint"] = "http://as.example/token";
  plain.on_answer(ok(as), kNow);
  EXPECT_EQ(failure(plain).code(), ErrorCode::insecure_url);

  // An authorization server on loopback for a server that is not.
  AuthorizationFlow loopback(settings(), named(), std::nullopt, kNow, random);
  loopback.on_answer(ok(prm(kServer, "http://127.0.0.1:9000")), kNow);
  EXPECT_EQ(failure(loopback).code(), ErrorCode::insecure_url);
}

TEST(OAuthAuthorizationFlow, AStoredRecordIsCheckedAgainLikeAFreshDiscovery) {
  DiscoveryPolicy policy{kServer, std::nullopt, std::nullopt, true};
  StoredDiscovery stored{kIssuer, kPrmPath, prm().dump(), kOAuthMeta, as_meta().dump()};
  EXPECT_EQ(discovery_from_stored(stored, policy).as.token_endpoint, kToken);

  StoredDiscovery moved = stored;
  moved.as_url = "https://evil.example/.well-known/oauth-authorization-server";
  try {
    discovery_from_stored(moved, policy);
    ADD_FAILURE() << "a document from another place was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch);
  }
  StoredDiscovery other_resource = stored;
  other_resource.prm_body = prm("https://elsewhere.example/mcp").dump();
  try {
    discovery_from_stored(other_resource, policy);
    ADD_FAILURE() << "another resource's record was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::resource_mismatch);
  }
}

TEST(OAuthAuthorizationFlow, DpopNeedsTheServerToOfferItAndTheResourceToTakeIt) {
  Discovery d;
  d.as.raw = Json{{"dpop_signing_alg_values_supported", {"ES256"}}};
  AuthChallenge bearer;
  EXPECT_FALSE(dpop_available(d, bearer));
  AuthChallenge dpop_challenge;
  dpop_challenge.dpop = true;
  EXPECT_TRUE(dpop_available(d, dpop_challenge));
  d.prm = ProtectedResourceMetadata{};
  d.prm->raw = Json{{"dpop_bound_access_tokens_required", true}};
  EXPECT_TRUE(dpop_available(d, bearer));
  d.as.raw = Json::object();
  EXPECT_FALSE(dpop_available(d, dpop_challenge));
}

// --- the authorization code grant ---

TEST(OAuthAuthorizationFlow, AuthorizationCodeWithPkceS256StateAndIssuer) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(std::nullopt, false);
  EXPECT_EQ(pending<OpenConsent>(flow).issuer, kIssuer);
  EXPECT_EQ(pending<OpenConsent>(flow).preferred_redirect_uri, "");
  flow.on_consent_opened(kRedirect);
  // No client yet: a registration for the redirect URI the consent bound.
  const Post& registration = pending<Post>(flow);
  EXPECT_EQ(flow.state(), FlowState::registering_client);
  EXPECT_EQ(registration.request.url, "https://as.example/register");
  EXPECT_EQ(Json::parse(registration.request.body)["redirect_uris"], Json::array({kRedirect}));
  flow.on_answer(registered(), kNow);
  const auto effects = drain(flow);
  ASSERT_EQ(effects.size(), 2u);
  EXPECT_EQ(std::get<Notify>(effects[0]).line, "Registered mcpauth as a client of https://as.example.");
  EXPECT_EQ(std::get<SaveClient>(effects[1]).client.client_id, "dyn-1");

  const AskUser ask = pending<AskUser>(flow);
  std::array<std::uint8_t, 32> seven{};
  seven.fill(7);
  const Pkce pkce = make_pkce(seven);
  EXPECT_EQ(query_field(ask.authorization_url, "code_challenge"), pkce.challenge);
  EXPECT_EQ(query_field(ask.authorization_url, "code_challenge_method"), "S256");
  EXPECT_EQ(query_field(ask.authorization_url, "state"), ask.state);
  EXPECT_EQ(query_field(ask.authorization_url, "resource"), kServer);
  EXPECT_EQ(query_field(ask.authorization_url, "prompt"), "consent");  // offline_access asked for
  flow.on_callback({{"code", "the-code"}, {"state", ask.state}, {"iss", kIssuer}}, kNow);

  const Post& exchange = pending<Post>(flow);
  EXPECT_EQ(exchange.kind, PostKind::token);
  EXPECT_EQ(exchange.request.url, kToken);
  EXPECT_EQ(field(exchange.request.body, "code"), "the-code");
  EXPECT_EQ(field(exchange.request.body, "code_verifier"), pkce.verifier);
  EXPECT_EQ(field(exchange.request.body, "redirect_uri"), kRedirect);
  flow.on_answer(tokens(), kNow);
  const Done& done = pending<Done>(flow);
  EXPECT_EQ(done.tokens.access_token, "at-1");
  EXPECT_EQ(done.client.client_id, "dyn-1");
  EXPECT_EQ(done.discovery.as.issuer, kIssuer);
  EXPECT_EQ(flow.state(), FlowState::done);
}

TEST(OAuthAuthorizationFlow, ACallbackWithAnotherStateOrIssuerIsRefused) {
  for (const auto& [params, code] : std::vector<std::pair<FormFields, ErrorCode>>{
           {{{"code", "c"}, {"state", "forged"}, {"iss", kIssuer}}, ErrorCode::state_mismatch},
           {{{"code", "c"}, {"state", "rnd-1"}, {"iss", "https://evil.example"}}, ErrorCode::issuer_mismatch},
           {{{"error", "access_denied"}, {"state", "rnd-1"}, {"iss", kIssuer}}, ErrorCode::authorization_denied}}) {
    ScriptedRandom random;
    AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
    discover(flow);
    flow.on_discovered(stored_dynamic(), false);
    flow.on_consent_opened(kRedirect);
    ASSERT_EQ(pending<AskUser>(flow).state, "rnd-1");
    flow.on_callback(params, kNow);
    EXPECT_EQ(failure(flow).code(), code);
  }
}

TEST(OAuthAuthorizationFlow, AServerWithoutPkceS256IsRefusedForTheBrowserGrantOnly) {
  ScriptedRandom random;
  Json as = as_meta();
  as["code_challenge_methods_supported"] = {"plain"};
  AuthorizationFlow browser(settings(), named(), std::nullopt, kNow, random);
  browser.on_answer(ok(prm()), kNow);
  browser.on_answer(ok(as), kNow);
  EXPECT_EQ(failure(browser).code(), ErrorCode::pkce_unsupported);

  AuthorizationFlow machine(settings(Grant::client_credentials), named(), std::nullopt, kNow, random);
  discover(machine, as);
}

TEST(OAuthAuthorizationFlow, PromptConsentOnlyWithOfflineAccess) {
  ScriptedRandom random;
  FlowSettings s = settings();
  s.scope = "read";
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  EXPECT_EQ(pending<Discovered>(flow).scope, "read");
  flow.on_discovered(stored_dynamic(), false);
  flow.on_consent_opened(kRedirect);
  EXPECT_EQ(query_field(pending<AskUser>(flow).authorization_url, "prompt"), "<absent>");
  EXPECT_EQ(query_field(pending<AskUser>(flow).authorization_url, "scope"), "read");
}

TEST(OAuthAuthorizationFlow, ExtraAuthorizationParamsGoOnTheAuthorizationUrlOnly) {
  ScriptedRandom random;
  FlowSettings s = settings();
  s.scope = "read offline_access";
  s.extra_authorization_params = {{"audience", "https://api.example/ a&b"}, {"prompt", "login"}};
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);
  flow.on_consent_opened(kRedirect);
  const AskUser ask = pending<AskUser>(flow);
  EXPECT_EQ(query_field(ask.authorization_url, "audience"), "https://api.example/ a&b");  // form-encoded and back
  // The host's prompt replaces the flow's own prompt=consent (one prompt parameter, the host's).
  EXPECT_EQ(query_field(ask.authorization_url, "prompt"), "login");
  EXPECT_EQ(parse_url(ask.authorization_url).query.find("prompt=consent"), std::string::npos);
  EXPECT_EQ(query_field(ask.authorization_url, "state"), ask.state);
  flow.on_callback({{"code", "the-code"}, {"state", ask.state}, {"iss", kIssuer}}, kNow);
  const Post& exchange = pending<Post>(flow);
  EXPECT_EQ(exchange.kind, PostKind::token);
  EXPECT_EQ(field(exchange.request.body, "audience"), "<absent>");
}

TEST(OAuthAuthorizationFlow, ClientCredentialsAsksForNoRefreshToken) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(Grant::client_credentials), named(), std::nullopt, kNow, random);
  discover(flow);  // the PRM lists read and write, the authorization server offline_access too
  EXPECT_EQ(pending<Discovered>(flow).scope, "read write");

  AuthorizationFlow browser(settings(), named(), std::nullopt, kNow, random);
  discover(browser);
  EXPECT_EQ(pending<Discovered>(browser).scope, "read write offline_access");
}

TEST(OAuthAuthorizationFlow, AStepUpAsksForTheScopeItWasGiven) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::string("read admin"), kNow, random);
  discover(flow);
  EXPECT_EQ(pending<Discovered>(flow).scope, "read admin");
}

TEST(OAuthAuthorizationFlow, WithoutAConsentTheBrowserGrantIsAnError) {
  ScriptedRandom random;
  FlowSettings s = settings();
  s.can_ask_consent = false;
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(std::nullopt, false);
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::authorization_required);
  EXPECT_TRUE(e.remedies().has(Remedy::interactive_consent));
}

TEST(OAuthAuthorizationFlow, AConsentThatCannotStartWhereNothingIsPublishedSuggestsAStaticToken) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), AuthChallenge{}, std::nullopt, kNow, random);
  for (int i = 0; i < 4; ++i) flow.on_answer(status(404), kNow);
  flow.on_discovered(std::nullopt, false);
  flow.on_consent_failed(
      Error(ErrorCode::authorization_required, "no browser", "", 0, {.remedies = {Remedy::open_url_manually}}));
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::authorization_required);
  EXPECT_TRUE(e.remedies().has(Remedy::static_token));
  EXPECT_TRUE(e.remedies().has(Remedy::open_url_manually));

  AuthorizationFlow published(settings(), named(), std::nullopt, kNow, random);
  discover(published);
  published.on_discovered(std::nullopt, false);
  published.on_consent_failed(Error(ErrorCode::authorization_required, "no browser"));
  EXPECT_FALSE(failure(published).remedies().has(Remedy::static_token));
}

// --- each kind of client ---

TEST(OAuthAuthorizationFlow, APreRegisteredClientIsUsedAsConfiguredAndNotSavedYet) {
  ScriptedRandom random;
  FlowSettings s = settings();
  s.client.client_id = "pre-1";
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);  // a stored registration does not replace the configured client
  flow.on_consent_opened(kRedirect);
  EXPECT_EQ(query_field(pending<AskUser>(flow).authorization_url, "client_id"), "pre-1");
  flow.on_callback({{"code", "c"}, {"state", pending<AskUser>(flow).state}, {"iss", kIssuer}}, kNow);
  flow.on_answer(tokens(), kNow);
  EXPECT_EQ(pending<Done>(flow).client.kind, ClientKind::pre_registered);
}

TEST(OAuthAuthorizationFlow, AMetadataDocumentClientIsItsUrlAndIsKept) {
  ScriptedRandom random;
  FlowSettings s = settings();
  s.client.client_metadata_url = "https://mcpauth.example/client.json";
  Json as = as_meta();
  as["client_id_metadata_document_supported"] = true;
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow, as);
  flow.on_discovered(std::nullopt, false);
  flow.on_consent_opened(kRedirect);
  const auto effects = drain(flow);
  ASSERT_EQ(count<SaveClient>(effects), 1);
  EXPECT_EQ(std::get<SaveClient>(effects[0]).client.kind, ClientKind::metadata_document);
  EXPECT_EQ(query_field(pending<AskUser>(flow).authorization_url, "client_id"), "https://mcpauth.example/client.json");
}

TEST(OAuthAuthorizationFlow, AStoredRegistrationIsReusedWithItsRedirectUri) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);
  EXPECT_EQ(pending<OpenConsent>(flow).preferred_redirect_uri, kRedirect);
  flow.on_consent_opened(kRedirect);
  EXPECT_EQ(query_field(pending<AskUser>(flow).authorization_url, "client_id"), "stored-1");
}

TEST(OAuthAuthorizationFlow, AStoredRegistrationForAnotherRedirectIsReplaced) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);
  flow.on_consent_opened("http://127.0.0.1:9999/callback");  // the preferred port was busy
  EXPECT_EQ(pending<Post>(flow).kind, PostKind::registration);
}

TEST(OAuthAuthorizationFlow, ARefusedRegistrationFailsTheFlow) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(std::nullopt, false);
  flow.on_consent_opened(kRedirect);
  flow.on_answer(oauth_error(400, "invalid_client_metadata"), kNow);
  EXPECT_EQ(failure(flow).code(), ErrorCode::registration_rejected);

  AuthorizationFlow unreachable(settings(), named(), std::nullopt, kNow, random);
  discover(unreachable);
  unreachable.on_discovered(std::nullopt, false);
  unreachable.on_consent_opened(kRedirect);
  unreachable.on_transport_failure(Error(ErrorCode::connection, "reset"));
  const Error e = failure(unreachable);
  EXPECT_EQ(e.code(), ErrorCode::auth_server_unreachable);
  EXPECT_NE(std::string(e.what()).find("cannot register a client"), std::string::npos);
}

TEST(OAuthAuthorizationFlow, AGuessedRegistrationEndpointThatIsNotThereSuggestsAStaticToken) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(Grant::client_credentials), AuthChallenge{}, std::nullopt, kNow, random);
  for (int i = 0; i < 4; ++i) flow.on_answer(status(404), kNow);
  flow.on_discovered(std::nullopt, false);
  EXPECT_EQ(pending<Post>(flow).request.url, "https://mcp.example/register");
  flow.on_answer(status(404), kNow);
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::unauthorized);
  EXPECT_TRUE(e.remedies().has(Remedy::static_token));
}

// --- a dynamic registration no longer accepted ---

TEST(OAuthAuthorizationFlow, InvalidClientOnADynamicRegistrationRegistersAgainOnce) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);
  flow.on_consent_opened(kRedirect);
  flow.on_callback({{"code", "c"}, {"state", pending<AskUser>(flow).state}, {"iss", kIssuer}}, kNow);
  flow.on_answer(oauth_error(401, "invalid_client"), kNow);
  const auto effects = drain(flow);
  ASSERT_EQ(effects.size(), 2u);
  EXPECT_EQ(std::get<ForgetClient>(effects[0]).issuer, kIssuer);
  EXPECT_EQ(std::get<Notify>(effects[1]).line,
            "The authorization server no longer accepts the stored registration; registering mcpauth again.");
  // A new consent, without the forgotten registration's redirect URI, and a new registration.
  EXPECT_EQ(pending<OpenConsent>(flow).preferred_redirect_uri, "");
  to_consent(flow);
  flow.on_callback({{"code", "c2"}, {"state", pending<AskUser>(flow).state}, {"iss", kIssuer}}, kNow);
  flow.on_answer(oauth_error(401, "invalid_client"), kNow);
  EXPECT_EQ(oauth_error_of(flow), "invalid_client");  // once only
}

TEST(OAuthAuthorizationFlow, InvalidClientOnAConfiguredClientIsNotRepairedByRegistering) {
  ScriptedRandom random;
  FlowSettings s = settings(Grant::client_credentials);
  s.client.client_id = "pre-1";
  s.client.client_secret = "s3cret";
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(std::nullopt, false);
  flow.on_answer(oauth_error(401, "invalid_client"), kNow);
  EXPECT_EQ(oauth_error_of(flow), "invalid_client");
}

// --- the other grants ---

TEST(OAuthAuthorizationFlow, ClientCredentialsPostsTheClientsOwnGrant) {
  ScriptedRandom random;
  FlowSettings s = settings(Grant::client_credentials);
  s.client.client_id = "machine";
  s.client.client_secret = "s3cret";
  s.client.token_endpoint_auth_method = "client_secret_post";
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(std::nullopt, false);
  const Post& post = pending<Post>(flow);
  EXPECT_EQ(flow.state(), FlowState::exchanging_token);
  EXPECT_EQ(field(post.request.body, "grant_type"), "client_credentials");
  EXPECT_EQ(field(post.request.body, "client_id"), "machine");
  EXPECT_EQ(field(post.request.body, "resource"), kServer);
  flow.on_answer(tokens("at-m"), kNow);
  EXPECT_EQ(pending<Done>(flow).tokens.access_token, "at-m");
}

HttpAnswer device_answer(int interval = 5, int expires_in = 600) {
  return ok(Json{{"device_code", "dc-1"},
                 {"user_code", "WDJB-MJHT"},
                 {"verification_uri", "https://as.example/device"},
                 {"expires_in", expires_in},
                 {"interval", interval}});
}

// Through the device authorization to the first Wait.
void to_first_wait(AuthorizationFlow& flow) {
  discover(flow);
  ClientRegistration device_client = stored_dynamic();
  device_client.redirect_uris.clear();  // a device-grant registration: no redirect URI
  flow.on_discovered(device_client, false);
  EXPECT_EQ(pending<Post>(flow).kind, PostKind::device_authorization);
  EXPECT_EQ(pending<Post>(flow).request.url, "https://as.example/device");
  flow.on_answer(device_answer(), kNow);
  const auto effects = drain(flow);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(std::get<ShowDeviceCode>(effects[0]).device.user_code, "WDJB-MJHT");
}

TEST(OAuthAuthorizationFlow, DeviceCodePollsAtTheServersPaceUntilApproved) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(Grant::device_code), named(), std::nullopt, kNow, random);
  to_first_wait(flow);
  EXPECT_EQ(pending<Wait>(flow).duration, 5s);
  flow.on_waited(kNow + 5s);
  EXPECT_EQ(flow.state(), FlowState::polling_device);
  EXPECT_EQ(field(pending<Post>(flow).request.body, "device_code"), "dc-1");
  flow.on_answer(oauth_error(400, "authorization_pending"), kNow + 5s);
  EXPECT_EQ(pending<Wait>(flow).duration, 5s);
  flow.on_waited(kNow + 10s);
  flow.on_answer(oauth_error(400, "slow_down"), kNow + 10s);
  EXPECT_EQ(pending<Wait>(flow).duration, 10s);  // RFC 8628 §3.5: 5 s more, for good
  flow.on_waited(kNow + 20s);
  flow.on_answer(oauth_error(400, "authorization_pending"), kNow + 20s);
  EXPECT_EQ(pending<Wait>(flow).duration, 10s);
  flow.on_waited(kNow + 30s);
  flow.on_answer(tokens("at-d"), kNow + 30s);
  EXPECT_EQ(pending<Done>(flow).tokens.access_token, "at-d");
}

// How a device flow ends when its first poll (after the first 5 s wait) is
// answered `error` at `answered_at`, with `settings`.
Error first_poll_ends(const FlowSettings& flow_settings, const std::string& error, Clock::time_point answered_at) {
  ScriptedRandom random;
  AuthorizationFlow flow(flow_settings, named(), std::nullopt, kNow, random);
  to_first_wait(flow);
  flow.on_waited(kNow + 5s);
  flow.on_answer(oauth_error(400, error), answered_at);
  return failure(flow);
}

TEST(OAuthAuthorizationFlow, DeviceCodeEndsWhenDeniedExpiredOrOutOfTime) {
  const FlowSettings device = settings(Grant::device_code);
  EXPECT_EQ(first_poll_ends(device, "access_denied", kNow + 5s).code(), ErrorCode::authorization_denied);
  EXPECT_EQ(first_poll_ends(device, "expired_token", kNow + 5s).code(), ErrorCode::consent_timeout);
  // The code's own lifetime ends the polling even when the server never says expired_token.
  EXPECT_EQ(first_poll_ends(device, "authorization_pending", kNow + 600s).code(), ErrorCode::consent_timeout);
  // The consent timeout ends it before the next wait would pass it.
  FlowSettings short_consent = device;
  short_consent.consent_timeout = 8s;
  const Error e = first_poll_ends(short_consent, "authorization_pending", kNow + 5s);
  EXPECT_EQ(e.code(), ErrorCode::consent_timeout);
  EXPECT_TRUE(e.remedies().has(Remedy::retry));
}

TEST(OAuthAuthorizationFlow, DeviceCodeNeedsTheServerToOfferIt) {
  ScriptedRandom random;
  Json as = as_meta();
  as.erase("device_authorization_endpoint");
  AuthorizationFlow flow(settings(Grant::device_code), named(), std::nullopt, kNow, random);
  discover(flow, as);
  flow.on_discovered(std::nullopt, false);
  const Error e = failure(flow);
  EXPECT_EQ(e.code(), ErrorCode::authorization_required);
  EXPECT_TRUE(e.remedies().has(Remedy::use_browser_grant));
}

TEST(OAuthAuthorizationFlow, JwtBearerTradesTheGivenAssertion) {
  ScriptedRandom random;
  FlowSettings s = settings(Grant::jwt_bearer);
  s.assertion = "workload.jwt";
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);
  const Post& post = pending<Post>(flow);
  EXPECT_EQ(field(post.request.body, "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(field(post.request.body, "assertion"), "workload.jwt");
  flow.on_answer(tokens("at-j"), kNow);
  EXPECT_EQ(pending<Done>(flow).tokens.access_token, "at-j");

  AuthorizationFlow missing(settings(Grant::jwt_bearer), named(), std::nullopt, kNow, random);
  discover(missing);
  missing.on_discovered(std::nullopt, false);
  EXPECT_EQ(failure(missing).code(), ErrorCode::usage);
}

TEST(OAuthAuthorizationFlow, IdentityAssertionExchangesTheIdTokenFirst) {
  ScriptedRandom random;
  FlowSettings s = settings(Grant::identity_assertion);
  s.identity_provider = IdentityProviderConfig{"https://idp.example/token", "idp-client", std::nullopt, "id.token"};
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(stored_dynamic(), false);
  const Post& exchange = pending<Post>(flow);
  EXPECT_EQ(flow.state(), FlowState::exchanging_identity_assertion);
  EXPECT_EQ(exchange.kind, PostKind::identity_assertion);
  EXPECT_EQ(exchange.request.url, "https://idp.example/token");
  EXPECT_EQ(field(exchange.request.body, "subject_token"), "id.token");
  EXPECT_EQ(field(exchange.request.body, "audience"), kIssuer);
  flow.on_answer(ok(Json{{"access_token", "id-jag"},
                         {"issued_token_type", "urn:ietf:params:oauth:token-type:id-jag"},
                         {"token_type", "N_A"}}),
                 kNow);
  const auto effects = drain(flow);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(std::get<Notify>(effects[0]).line, "Obtained an identity assertion from https://idp.example/token.");
  const Post& grant = pending<Post>(flow);
  EXPECT_EQ(grant.request.url, kToken);
  EXPECT_EQ(field(grant.request.body, "assertion"), "id-jag");
  flow.on_answer(tokens("at-e"), kNow);
  EXPECT_EQ(pending<Done>(flow).tokens.access_token, "at-e");
}

// --- DPoP nonce ---

TEST(OAuthAuthorizationFlow, TheTokenRequestIsSentAgainOnceWithTheServersDpopNonce) {
  ScriptedRandom random;
  FlowSettings s = settings(Grant::client_credentials);
  s.client.client_id = "machine";
  AuthorizationFlow flow(s, named(), std::nullopt, kNow, random);
  discover(flow);
  flow.on_discovered(std::nullopt, true);
  const std::string body = pending<Post>(flow).request.body;
  EXPECT_FALSE(pending<Post>(flow).dpop_nonce);
  HttpAnswer nonce = oauth_error(400, "use_dpop_nonce");
  nonce.headers.emplace_back("dpop-nonce", "n-1");
  flow.on_answer(nonce, kNow);
  EXPECT_EQ(pending<Post>(flow).dpop_nonce, "n-1");
  EXPECT_EQ(pending<Post>(flow).request.body, body);
  nonce.headers.back().second = "n-2";
  flow.on_answer(nonce, kNow);  // a second demand is the answer
  EXPECT_EQ(oauth_error_of(flow), "use_dpop_nonce");

  // Without DPoP the same answer is only an error.
  AuthorizationFlow bearer(s, named(), std::nullopt, kNow, random);
  discover(bearer);
  bearer.on_discovered(std::nullopt, false);
  bearer.on_answer(nonce, kNow);
  EXPECT_EQ(oauth_error_of(bearer), "use_dpop_nonce");
}

// --- refresh ---

TEST(OAuthAuthorizationFlow, ARefreshPostsTheRefreshTokenAndKeepsItWhenNoneIsReturned) {
  ScriptedRandom random;
  Discovery d = discovery_from_stored({kIssuer, kPrmPath, prm().dump(), kOAuthMeta, as_meta().dump()},
                                      {kServer, std::nullopt, std::nullopt, true});
  auto flow =
      AuthorizationFlow::refresh(settings(), d, stored_dynamic(), "rt-old", std::string("read"), false, kNow, random);
  EXPECT_EQ(flow.state(), FlowState::exchanging_token);
  EXPECT_EQ(field(pending<Post>(flow).request.body, "grant_type"), "refresh_token");
  EXPECT_EQ(field(pending<Post>(flow).request.body, "refresh_token"), "rt-old");
  flow.on_answer(ok(Json{{"access_token", "at-2"}, {"token_type", "Bearer"}}), kNow);
  EXPECT_EQ(pending<Done>(flow).tokens.refresh_token, "rt-old");

  auto refused =
      AuthorizationFlow::refresh(settings(), d, stored_dynamic(), "rt-old", std::nullopt, false, kNow, random);
  refused.on_answer(oauth_error(400, "invalid_client"), kNow);  // a refresh never registers again
  EXPECT_EQ(oauth_error_of(refused), "invalid_client");
}

// --- the machine's own rules ---

TEST(OAuthAuthorizationFlow, AnAnswerToAnotherActionIsTheDriversBug) {
  ScriptedRandom random;
  AuthorizationFlow flow(settings(), named(), std::nullopt, kNow, random);
  EXPECT_THROW(flow.on_waited(kNow), Error);
  EXPECT_THROW(flow.acknowledge(), Error);
  EXPECT_EQ(flow.state(), FlowState::fetching_resource_metadata);
}

TEST(OAuthAuthorizationFlow, EveryStateHasItsOwnName) {
  std::set<std::string_view> names;
  for (int s = 0; s <= static_cast<int>(FlowState::failed); ++s) names.insert(to_string(static_cast<FlowState>(s)));
  EXPECT_EQ(names.size(), static_cast<std::size_t>(FlowState::failed) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_EQ(to_string(DiscoveryState::fetching_server_metadata), "fetching_server_metadata");
  EXPECT_EQ(to_string(PostKind::device_authorization), "device_authorization");
}

}  // namespace
}  // namespace mcpauth::core::oauth

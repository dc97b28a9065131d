// The Authorizer driven in-process: every answer of the resource, the
// metadata and the authorization server comes from a script, so each test
// says "given these answers, the client sends exactly this".
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "authorizer_script.hpp"

namespace mcpauth::auth {
namespace {

using namespace scripted;

TEST(AuthorizerScripted, AFirst401DiscoversRegistersAuthorizesAndSendsTheRequestAgain) {
  Fixture f;
  script_first_authorization(*f.http);
  EXPECT_FALSE(f.authorizer->access_token());  // nothing asked for yet, and nothing asked of anybody
  EXPECT_EQ(f.post_to_server().status, 200);
  EXPECT_EQ(f.http->unanswered(), 0u);
  EXPECT_EQ(f.authorizer->access_token(), "at-1");

  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_FALSE(sent[0].headers.contains("Authorization"));
  EXPECT_EQ(sent[1].url, kPrm);
  EXPECT_EQ(sent[2].url, "https://as.example/.well-known/oauth-authorization-server");

  // The registration: our redirect URI, and only the scopes the
  // authorization server itself lists (read, and offline_access which it
  // offers), not the resource-only one (write).
  EXPECT_EQ(sent[3].url, "https://as.example/register");
  const auto registration = Json::parse(sent[3].body);
  EXPECT_EQ(registration["redirect_uris"], Json::array({"http://127.0.0.1:8765/callback"}));
  EXPECT_EQ(registration["scope"], "read offline_access");
  EXPECT_EQ(registration["token_endpoint_auth_method"], "none");

  // The code exchange: PKCE verifier, the resource (RFC 8707), our client.
  EXPECT_EQ(sent[4].url, "https://as.example/token");
  const auto exchange = form_of(sent[4].body);
  expect_fields(
      exchange,
      {{"grant_type", "authorization_code"}, {"code", "the-code"}, {"client_id", "dyn-1"}, {"resource", kServer}});
  EXPECT_GE(field(exchange, "code_verifier").size(), 43u);

  EXPECT_EQ(sent[5].headers.get("Authorization"), "Bearer at-1");
  EXPECT_EQ(f.consent->consents, 1);
  EXPECT_EQ(f.authorizer->authorizations(), 1);
}

TEST(AuthorizerScripted, AnInvalidTokenIsRefreshedBeforeAnyoneIsAsked) {
  Fixture f;
  script_first_authorization(*f.http);
  ASSERT_EQ(f.post_to_server().status, 200);
  f.http->then(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}})
      .then(200, kJson, tokens_json("at-2"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(f.post_to_server().status, 200);
  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 9u);
  EXPECT_EQ(sent[6].headers.get("Authorization"), "Bearer at-1");
  const auto refresh = form_of(sent[7].body);
  EXPECT_EQ(field(refresh, "grant_type"), "refresh_token");
  EXPECT_EQ(field(refresh, "refresh_token"), "rt-at-1");
  EXPECT_EQ(sent[8].headers.get("Authorization"), "Bearer at-2");
  EXPECT_EQ(f.consent->consents, 1);
}

TEST(AuthorizerScripted, InsufficientScopeAsksAgainForTheUnionOfScopes) {
  Fixture f;
  script_first_authorization(*f.http);
  ASSERT_EQ(f.post_to_server().status, 200);
  f.http->then(403, {{"WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"admin\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(200, kJson, tokens_json("at-3", "read write offline_access admin"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(f.post_to_server().status, 200);
  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 11u);
  // Metadata is read again (it may have changed), the stored registration
  // is reused, and the user is asked for the union of scopes.
  EXPECT_EQ(f.consent->consents, 2);
  EXPECT_NE(f.consent->last_url.find("scope=read%20write%20offline_access%20admin"), std::string::npos)
      << f.consent->last_url;
  EXPECT_EQ(sent[7].url, kPrm);
  const auto exchange = form_of(sent[9].body);
  EXPECT_EQ(field(exchange, "grant_type"), "authorization_code");
  EXPECT_EQ(field(exchange, "client_id"), "dyn-1");
  EXPECT_EQ(sent[10].headers.get("Authorization"), "Bearer at-3");
  EXPECT_EQ(f.authorizer->info()->scope, "read write offline_access admin");
  EXPECT_EQ(f.authorizer->authorizations(), 2);
}

TEST(AuthorizerScripted, OtherRequestsGoOnWithTheCurrentTokenWhileAConsentRuns) {
  Fixture f;
  test_support::Gate user;
  f.consent->hold_second = &user;
  script_first_authorization(*f.http);
  ASSERT_EQ(f.post_to_server().status, 200);
  f.http->then(403, {{"WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"admin\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(200, kJson, R"({"jsonrpc":"2.0","id":2,"result":{}})")  // the other request, during the consent
      .then(200, kJson, tokens_json("at-3", "read write offline_access admin"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  std::thread stepping_up([&f] { EXPECT_EQ(f.post_to_server().status, 200); });
  user.wait_for_arrivals(1);
  // The consent is open: a request neither waits for it nor loses its token.
  EXPECT_EQ(f.post_to_server().status, 200);
  EXPECT_EQ(f.http->requests()[9].headers.get("Authorization"), "Bearer at-1");
  EXPECT_EQ(f.authorizer->info()->scope, "read write");
  user.open();
  stepping_up.join();
  EXPECT_EQ(f.http->requests().back().headers.get("Authorization"), "Bearer at-3");
  EXPECT_EQ(f.http->unanswered(), 0u);
}

// The host's user went away (the proxy's input ended): cancel() ends the
// consent under way at once, and a later need for consent fails before
// anything is sent or anybody asked.
TEST(AuthorizerScripted, CancelEndsTheConsentUnderWayAndRefusesLaterOnes) {
  Fixture f;
  test_support::Gate user;
  f.consent->hold_first = &user;
  f.http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(201, kJson, registration_json());
  EXPECT_FALSE(f.authorizer->waiting_for_user());
  std::thread asking([&f] {
    try {
      f.post_to_server();
      ADD_FAILURE() << "the request went through a cancelled consent";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
    }
  });
  user.wait_for_arrivals(1);
  EXPECT_TRUE(f.authorizer->waiting_for_user());
  f.authorizer->cancel();
  asking.join();
  EXPECT_FALSE(f.authorizer->waiting_for_user());
  EXPECT_EQ(f.http->unanswered(), 0u);

  f.http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}});
  try {
    f.post_to_server();
    ADD_FAILURE() << "a new consent after cancel()";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  }
  EXPECT_EQ(f.consent->consents, 1) << "nobody was asked again";
  EXPECT_EQ(f.http->unanswered(), 0u) << "nothing fetched for it either";
}

// The device grant's pause between polls ends at cancel() too.
TEST(AuthorizerScripted, CancelEndsTheDeviceCodePolling) {
  test_support::Gate shown;
  AuthorizerOptions options;
  options.grant = Grant::device_code;
  options.device_prompt = [&shown](const core::oauth::DeviceAuthorization&) { shown.open(); };
  Fixture f(options);
  Json as = Json::parse(as_json());
  as["device_authorization_endpoint"] = "https://as.example/device";
  f.http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as.dump())
      .then(201, kJson, Json{{"client_id", "dev-1"}}.dump())
      .then(200, kJson,
            Json{{"device_code", "dc"},
                 {"user_code", "ABCD-EFGH"},
                 {"verification_uri", "https://as.example/activate"},
                 {"expires_in", 600},
                 {"interval", 60}}
                .dump());
  std::thread polling([&f] {
    try {
      f.post_to_server();
      ADD_FAILURE() << "the device flow went on after cancel()";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
    }
  });
  shown.arrive_and_wait();  // the code was shown: the first 60 s pause is next (or under way)
  f.authorizer->cancel();
  polling.join();
  EXPECT_EQ(f.http->unanswered(), 0u) << "no poll was sent";
}

TEST(AuthorizerScripted, AForbiddenThatIsNotAboutScopeIsReturnedUntouched) {
  Fixture f;
  script_first_authorization(*f.http);
  ASSERT_EQ(f.post_to_server().status, 200);
  f.http->then(403, {}, "Origin not allowed");
  const auto response = f.post_to_server();
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body, "Origin not allowed");
  EXPECT_EQ(f.consent->consents, 1);
}

TEST(AuthorizerScripted, PrmForAnotherResourceIsRefusedBeforeAnythingIsSent) {
  Fixture f;
  f.http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson,
            Json{{"resource", "https://elsewhere.example/mcp"}, {"authorization_servers", {kIssuer}}}.dump());
  try {
    f.post_to_server();
    FAIL() << "expected resource_mismatch";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::resource_mismatch) << e.what();
  }
  EXPECT_EQ(f.http->requests().size(), 2u);
  EXPECT_EQ(f.consent->consents, 0);
}

TEST(AuthorizerScripted, WithoutAConsentHandlerANeedForAuthorizationIsAnError) {
  AuthorizerOptions options;
  auto http = std::make_shared<ScriptedHttpClient>();
  options.server_url = kServer;
  options.http = http;  // no consent handler
  auto authorizer = std::make_shared<Authorizer>(options);
  auto client = mcp::with_credentials(http, authorizer);
  http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json());
  net::HttpRequest request;
  request.method = "POST";
  request.url = kServer;
  try {
    client->send(request);
    FAIL() << "expected authorization_required";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
  }
  EXPECT_EQ(http->unanswered(), 0u);
}

// The driver carries out the machine's store effects: the stale registration
// is forgotten and the new one kept, and the user is asked once more.
TEST(AuthorizerScripted, AStaleDynamicRegistrationIsReplacedOnceThroughTheStore) {
  AuthorizerOptions options;
  options.store = store::make_memory_token_store();
  core::oauth::ClientRegistration stale;
  stale.issuer = kIssuer;
  stale.client_id = "stale-1";
  stale.redirect_uris = {"http://127.0.0.1:8765/callback"};
  options.store->save_client(stale);
  Fixture f(options);
  f.http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(401, kJson, R"({"error":"invalid_client"})")
      .then(201, kJson, Json{{"client_id", "dyn-2"}, {"redirect_uris", {"http://127.0.0.1:8765/callback"}}}.dump())
      .then(200, kJson, tokens_json("at-2"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(f.post_to_server().status, 200);
  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 7u);
  EXPECT_EQ(field(form_of(sent[3].body), "client_id"), "stale-1");
  EXPECT_EQ(sent[4].url, "https://as.example/register");
  EXPECT_EQ(field(form_of(sent[5].body), "client_id"), "dyn-2");
  EXPECT_EQ(options.store->load_client(kIssuer)->client_id, "dyn-2");
  EXPECT_EQ(f.consent->consents, 2);
  EXPECT_NE(std::find(f.notes.begin(), f.notes.end(),
                      "The authorization server no longer accepts the stored registration; registering mcpauth again."),
            f.notes.end());
  EXPECT_EQ(f.authorizer->info()->client_id, "dyn-2");
}

std::string base64url_decode(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    buffer = (buffer << 6) | static_cast<unsigned>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// The claims of a DPoP proof (a JWT).
Json proof_claims(const net::HttpRequest& request) {
  const std::string proof = request.headers.get("DPoP").value_or("..");
  const auto first = proof.find('.');
  const auto second = proof.find('.', first + 1);
  return Json::parse(base64url_decode(proof.substr(first + 1, second - first - 1)));
}

// The machine asks for the request again with the nonce; the driver signs the new proof with it.
TEST(AuthorizerScripted, TheTokenEndpointsDpopNonceGoesIntoTheSecondProof) {
  AuthorizerOptions options;
  options.grant = Grant::client_credentials;
  options.client.client_id = "machine";
  options.client.client_secret = "s3cret";
  options.client.token_endpoint_auth_method = "client_secret_post";
  Fixture f(options, true);
  Json as = Json::parse(as_json());
  as["dpop_signing_alg_values_supported"] = {"ES256"};
  f.http
      ->then(401, {{"WWW-Authenticate", std::string("DPoP algs=\"ES256\", Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as.dump())
      .then(400, {{"Content-Type", "application/json"}, {"DPoP-Nonce", "n-1"}}, R"({"error":"use_dpop_nonce"})")
      .then(200, kJson, R"({"access_token":"at-d","token_type":"DPoP","expires_in":3600})")
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(f.post_to_server().status, 200);
  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_FALSE(proof_claims(sent[3]).contains("nonce"));
  EXPECT_EQ(proof_claims(sent[4])["nonce"], "n-1");
  EXPECT_NE(proof_claims(sent[3])["jti"], proof_claims(sent[4])["jti"]);
  EXPECT_EQ(sent[5].headers.get("Authorization"), "DPoP at-d");
}

}  // namespace
}  // namespace mcpauth::auth

namespace mcpauth::auth {
namespace {

TEST(Credentials, ComposeOAuthAndStaticHeadersOnlyWhenThereAreBoth) {
  EXPECT_EQ(credentials(nullptr, {}), nullptr);

  const auto fixed = credentials(nullptr, {{"X-Api-Key", "k"}});
  ASSERT_NE(fixed, nullptr);
  net::HttpRequest request;
  request.url = "https://mcp.example/mcp";
  fixed->apply(request);
  EXPECT_EQ(request.headers.get("X-Api-Key"), "k");

  auto http = std::make_shared<test_support::ScriptedHttpClient>();
  AuthorizerOptions options;
  options.server_url = "https://mcp.example/mcp";
  options.http = http;
  auto oauth = std::make_shared<Authorizer>(options);
  EXPECT_EQ(credentials(oauth, {}), oauth);
  const auto both = credentials(oauth, {{"X-Api-Key", "k"}});
  ASSERT_NE(both, nullptr);
  EXPECT_NE(both, oauth);
  net::HttpRequest second;
  second.url = "https://mcp.example/mcp";
  both->apply(second);
  EXPECT_EQ(second.headers.get("X-Api-Key"), "k");
  EXPECT_FALSE(second.headers.contains("Authorization"));  // no token yet
}

}  // namespace
}  // namespace mcpauth::auth

// Needs are results: an Authorizer without a consent handler answers a
// request that needs the user with a typed error saying what is needed, and
// the host runs that authorization itself (Authorizer::authorize) and sends
// its request again. Also refreshing(), which a dashboard shows.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

#include "authorizer_script.hpp"

namespace mcpauth::auth {
namespace {

using namespace scripted;

const std::string kChallenge = std::string("Bearer resource_metadata=\"") + kPrm + "\", scope=\"read\"";

// The error a request got, or a failed test.
Error error_of(Fixture& f) {
  try {
    f.post_to_server();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "the request went through";
  return Error(ErrorCode::usage, "no error");
}

TEST(AuthorizerNeeds, WithoutAConsentHandlerTheNeedNamesTheResourceTheIssuerAndTheScope) {
  Fixture f({}, false, /*consent_in_requests=*/false);
  f.http->then(401, {{"WWW-Authenticate", kChallenge}}).then(200, kJson, prm_json()).then(200, kJson, as_json());
  const Error e = error_of(f);
  EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
  EXPECT_EQ(e.detail().resource, kServer);
  EXPECT_EQ(e.detail().issuer, kIssuer);
  EXPECT_EQ(e.detail().required_scope, "read") << "the scope of the server's challenge";
  EXPECT_TRUE(e.remedies().has(Remedy::interactive_consent));
  EXPECT_FALSE(f.authorizer->waiting_for_user());
  EXPECT_EQ(f.consent->consents, 0);
  EXPECT_EQ(f.http->unanswered(), 0u);
}

TEST(AuthorizerNeeds, TheHostAuthorizesWithItsConsentAndTheRetrySucceeds) {
  Fixture f({}, false, /*consent_in_requests=*/false);
  f.http->then(401, {{"WWW-Authenticate", kChallenge}}).then(200, kJson, prm_json()).then(200, kJson, as_json());
  ASSERT_EQ(error_of(f).code(), ErrorCode::authorization_required);

  // The pending need: its challenge's metadata and scope, then the consent.
  script_registration(*f.http).then(200, kJson, tokens_json("at-1", "read"));
  const AuthorizationInfo info = f.authorizer->authorize(*f.consent);
  EXPECT_EQ(info.issuer, kIssuer);
  EXPECT_EQ(info.client_id, "dyn-1");
  EXPECT_EQ(info.scope, "read");
  EXPECT_EQ(f.consent->consents, 1);
  EXPECT_NE(f.consent->last_url.find("scope=read%20offline_access&"), std::string::npos) << f.consent->last_url;
  EXPECT_EQ(f.http->requests()[3].url, kPrm);

  f.http->then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})");
  EXPECT_EQ(f.post_to_server().status, 200);
  EXPECT_EQ(f.http->requests().back().headers.get("Authorization"), "Bearer at-1");
  EXPECT_EQ(f.authorizer->authorizations(), 1);
  EXPECT_EQ(f.http->unanswered(), 0u);
}

TEST(AuthorizerNeeds, AStepUpWithoutAConsentHandlerIsInsufficientScopeWithTheScope) {
  Fixture f({}, false, /*consent_in_requests=*/false);
  // Nothing refused yet: the host's "Authorize" discovers from the well-known location.
  script_registration(*f.http).then(200, kJson, tokens_json("at-1"));
  EXPECT_EQ(f.authorizer->authorize(*f.consent).scope, "read write");
  EXPECT_EQ(f.http->requests()[0].url, kPrm);

  f.http->then(403, {{"WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"admin\""}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json());
  const Error e = error_of(f);
  EXPECT_EQ(e.code(), ErrorCode::insufficient_scope) << e.what();
  EXPECT_EQ(e.http_status(), 403);
  EXPECT_EQ(e.detail().required_scope, "read write offline_access admin") << "what was held, and what is missing";
  EXPECT_EQ(e.detail().issuer, kIssuer);
  EXPECT_EQ(e.detail().resource, kServer);
  EXPECT_TRUE(e.remedies().has(Remedy::interactive_consent));
  EXPECT_EQ(f.consent->consents, 1);

  // The host asks its user for the wider scope; the stored registration serves.
  f.http->then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(200, kJson, tokens_json("at-2", "read write offline_access admin"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(f.authorizer->authorize(*f.consent).scope, "read write offline_access admin");
  EXPECT_NE(f.consent->last_url.find("scope=read%20write%20offline_access%20admin"), std::string::npos)
      << f.consent->last_url;
  EXPECT_EQ(f.post_to_server().status, 200);
  EXPECT_EQ(f.http->requests().back().headers.get("Authorization"), "Bearer at-2");
  EXPECT_EQ(f.http->unanswered(), 0u);
}

// A host's "Authorize" while a token is held: the user is asked again (the
// token held is not the answer), and requests go on with that token
// meanwhile: no lock is held while the user is waited for.
TEST(AuthorizerNeeds, WhileTheHostsConsentWaitsRequestsGoOnWithTheCurrentToken) {
  Fixture f({}, false, /*consent_in_requests=*/false);
  test_support::Gate user;
  f.consent->hold_second = &user;
  script_registration(*f.http).then(200, kJson, tokens_json("at-1"));
  ASSERT_EQ(f.authorizer->authorize(*f.consent).client_id, "dyn-1");

  f.http->then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})")  // the request during the consent
      .then(200, kJson, tokens_json("at-2"));
  std::thread host([&f] { EXPECT_EQ(f.authorizer->authorize(*f.consent).client_id, "dyn-1"); });
  user.wait_for_arrivals(1);
  EXPECT_TRUE(f.authorizer->waiting_for_user());
  EXPECT_EQ(f.post_to_server().status, 200);
  EXPECT_EQ(f.http->requests().back().headers.get("Authorization"), "Bearer at-1");
  user.open();
  host.join();
  EXPECT_EQ(f.consent->consents, 2);
  EXPECT_EQ(f.authorizer->access_token(), "at-2");
  EXPECT_EQ(f.http->unanswered(), 0u);
}

// A request refused while the host's consent waits, on an Authorizer with
// nobody to ask (the gateway's): it does not queue behind that consent (it
// would wait as long as the user does), it is answered at once.
TEST(AuthorizerNeeds, ARefusedRequestDoesNotWaitForTheHostsConsent) {
  std::mutex log_mutex;  // the host's thread logs too
  std::vector<std::string> log;
  AuthorizerOptions options;
  options.log = [&](const std::string& line) {
    const std::lock_guard lock(log_mutex);
    log.push_back(line);
  };
  Fixture f(options, false, /*consent_in_requests=*/false);
  test_support::Gate user;
  f.consent->hold_first = &user;
  script_registration(*f.http)
      .then(401, {{"WWW-Authenticate", kChallenge}})  // the request during the consent
      .then(200, kJson, tokens_json("at-1"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");  // its retry, after the consent
  std::thread host([&f] { EXPECT_EQ(f.authorizer->authorize(*f.consent).client_id, "dyn-1"); });
  user.wait_for_arrivals(1);

  const Error e = error_of(f);  // with the user still deciding
  EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
  EXPECT_NE(std::string(e.what()).find("waiting for the user"), std::string::npos) << e.what();
  EXPECT_TRUE(e.remedies().has(Remedy::retry));
  EXPECT_EQ(e.detail().resource, kServer);
  EXPECT_TRUE(f.authorizer->waiting_for_user());
  {
    const std::lock_guard lock(log_mutex);
    const auto said = [&](const std::string& words) {
      return std::any_of(log.begin(), log.end(), [&](const std::string& l) { return l.find(words) != l.npos; });
    };
    EXPECT_TRUE(said("rejected: HTTP 401 from https://mcp.example/mcp; next: "));
    EXPECT_TRUE(said("is waiting for the user; this request does not wait for it"));
  }

  user.open();
  host.join();
  EXPECT_EQ(f.post_to_server().status, 200);
  EXPECT_EQ(f.http->requests().back().headers.get("Authorization"), "Bearer at-1");
  EXPECT_EQ(f.consent->consents, 1);
  EXPECT_EQ(f.http->unanswered(), 0u);
}

// Another process (here: another Authorizer on the same store) is asking
// the user for this grant: one with nobody to ask does not poll for its
// tokens for as long as that consent may take; its need is its answer.
TEST(AuthorizerNeeds, WithNobodyToAskAnotherProcesssConsentIsNotWaitedFor) {
  const std::shared_ptr<store::TokenStore> shared = store::make_memory_token_store();
  AuthorizerOptions asking_options;
  asking_options.store = shared;
  Fixture asking(asking_options);
  test_support::Gate user;
  asking.consent->hold_first = &user;
  asking.http->then(401, {{"WWW-Authenticate", kChallenge}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(201, kJson, registration_json())
      .then(200, kJson, tokens_json("at-1"))
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  std::thread first([&asking] { EXPECT_EQ(asking.post_to_server().status, 200); });
  user.wait_for_arrivals(1);  // its claim on the flow is held while the user decides

  AuthorizerOptions answering_options;
  answering_options.store = shared;
  Fixture answering(answering_options, false, /*consent_in_requests=*/false);
  answering.http->then(401, {{"WWW-Authenticate", kChallenge}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json());
  const Error e = error_of(answering);
  EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
  EXPECT_EQ(e.detail().issuer, kIssuer);
  EXPECT_FALSE(answering.authorizer->waiting_for_user());
  EXPECT_EQ(answering.http->unanswered(), 0u);

  user.open();
  first.join();
  // Once the other's tokens are stored, they are this one's answer too.
  answering.http->then(401, {{"WWW-Authenticate", kChallenge}})
      .then(200, kJson, prm_json())
      .then(200, kJson, as_json())
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(answering.post_to_server().status, 200);
  EXPECT_EQ(answering.http->requests().back().headers.get("Authorization"), "Bearer at-1");
  EXPECT_EQ(answering.consent->consents, 0);
  EXPECT_EQ(answering.http->unanswered(), 0u);
}

TEST(AuthorizerNeeds, AuthorizeAfterCancelFailsBeforeAnythingIsSent) {
  Fixture f({}, false, /*consent_in_requests=*/false);
  f.authorizer->cancel();
  try {
    f.authorizer->authorize(*f.consent);
    ADD_FAILURE() << "authorized after cancel()";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  }
  EXPECT_EQ(f.consent->consents, 0);
  EXPECT_TRUE(f.http->requests().empty());
}

TEST(AuthorizerNeeds, RefreshingIsTrueWhileARefreshRunsAndEachChangeIsSignalled) {
  std::vector<bool> signalled;  // refreshing() at each refreshing_changed call
  Fixture* fixture = nullptr;
  AuthorizerOptions options;
  options.refreshing_changed = [&] { signalled.push_back(fixture->authorizer->refreshing()); };
  Fixture f(options);
  fixture = &f;
  script_first_authorization(*f.http);
  ASSERT_EQ(f.post_to_server().status, 200);
  EXPECT_FALSE(f.authorizer->refreshing());
  EXPECT_TRUE(signalled.empty()) << "an authorization is no refresh";

  std::optional<bool> during;  // what refreshing() said while the token endpoint answered
  f.http->then(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}})
      .then([&f, &during](const net::HttpRequest& request) {
        EXPECT_EQ(field(form_of(request.body), "grant_type"), "refresh_token");
        during = f.authorizer->refreshing();
        return net::HttpResponse{200, kJson, tokens_json("at-2"), {}};
      })
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(f.post_to_server().status, 200);
  ASSERT_TRUE(during.has_value());
  EXPECT_TRUE(*during);
  EXPECT_FALSE(f.authorizer->refreshing());
  EXPECT_EQ(signalled, (std::vector<bool>{true, false}));
  EXPECT_EQ(f.http->requests().back().headers.get("Authorization"), "Bearer at-2");
}

}  // namespace
}  // namespace mcpauth::auth

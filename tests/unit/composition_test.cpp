// mcpauth::compose() and make_authorizer(): ClientOptions mapped to the
// session's options, the store, the consent and the Authorizer, driven over
// a scripted HttpClient so each test can see what the composition sends.
#include <gtest/gtest.h>

#include <stdexcept>

#include "mcpauth/composition.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/mcp/authorizing_http_client.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth {
namespace {

using test_support::ScriptedHttpClient;
using Json = nlohmann::json;

constexpr const char* kServer = "https://mcp.example/mcp";
constexpr const char* kPrm = "https://mcp.example/.well-known/oauth-protected-resource/mcp";
constexpr const char* kIssuer = "https://as.example";
constexpr const char* kRedirect = "http://127.0.0.1:8765/callback";

const net::HttpHeaders kJson{{"Content-Type", "application/json"}};

// Approves at once and counts how often it was asked.
class CountingConsent final : public auth::ConsentHandler {
 public:
  int consents = 0;
  std::string last_url;
  std::unique_ptr<auth::ConsentSession> begin(const std::string&) override {
    ++consents;
    return std::make_unique<Session>(last_url);
  }

 private:
  struct Session final : auth::ConsentSession {
    explicit Session(std::string& url) : url_(url) {}
    std::string redirect_uri() const override { return kRedirect; }
    core::oauth::FormFields await(const auth::ConsentPrompt& prompt) override {
      url_ = prompt.authorization_url;
      return {{"code", "the-code"}, {"state", prompt.state}, {"iss", prompt.issuer}};
    }
    std::string& url_;
  };
};

// An environment that must not be read: reading it means the default store was opened.
std::optional<std::string> untouchable_env(const std::string& name) {
  throw std::logic_error("the environment was read for " + name + ": the default store was opened");
}

void script_first_authorization(ScriptedHttpClient& http) {
  http.then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson,
            Json{{"resource", kServer}, {"authorization_servers", {kIssuer}}, {"scopes_supported", {"read"}}}.dump())
      .then(200, kJson,
            Json{{"issuer", kIssuer},
                 {"authorization_endpoint", "https://as.example/authorize"},
                 {"token_endpoint", "https://as.example/token"},
                 {"registration_endpoint", "https://as.example/register"},
                 {"code_challenge_methods_supported", {"S256"}},
                 {"authorization_response_iss_parameter_supported", true}}
                .dump())
      .then(201, kJson, Json{{"client_id", "dyn-1"}, {"redirect_uris", {kRedirect}}}.dump())
      .then(200, kJson,
            Json{{"access_token", "at-1"}, {"token_type", "Bearer"}, {"expires_in", 3600}, {"scope", "read"}}.dump())
      .then(200, kJson, R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})");
}

net::HttpResponse post_to_server(const Composition& c) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = kServer;
  request.body = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  return mcp::with_credentials(c.session.http, c.session.authorizer)->send(request);
}

std::string field(const std::string& form, const std::string& name) {
  for (const auto& [key, value] : core::oauth::parse_form(form)) {
    if (key == name) return value;
  }
  return "<absent>";
}

TEST(Compose, TheSessionGetsTheUrlTransportTimeoutsIdentityAndHttpClient) {
  auto http = std::make_shared<ScriptedHttpClient>();
  const Composition c = compose({.url = kServer,
                                 .transport = mcp::TransportKind::sse,
                                 .oauth = false,
                                 .connect_timeout = std::chrono::seconds(3),
                                 .request_timeout = std::chrono::seconds(7),
                                 .client_info = {"host-app", "1.2", std::nullopt},
                                 .http = http});
  EXPECT_EQ(c.session.url, kServer);
  EXPECT_EQ(c.session.transport, mcp::TransportKind::sse);
  EXPECT_EQ(c.session.connect_timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.session.request_timeout, std::chrono::seconds(7));
  EXPECT_EQ(c.session.client_info.name, "host-app");
  EXPECT_EQ(c.session.client_info.version, "1.2");
  EXPECT_EQ(c.session.http, http);
}

TEST(Compose, WithoutAnHttpClientTheSessionGetsOneOfItsOwn) {
  const Composition c = compose({.url = kServer, .oauth = false});
  EXPECT_NE(c.session.http, nullptr);
}

TEST(Compose, OAuthOffAndNoHeadersMeansNoCredentialsAndNoStore) {
  ClientOptions options{.url = kServer, .oauth = false, .env = untouchable_env};
  options.http = std::make_shared<ScriptedHttpClient>();
  EXPECT_FALSE(uses_oauth(options));
  const Composition c = compose(options);
  EXPECT_EQ(c.authorizer, nullptr);
  EXPECT_EQ(c.store, nullptr);
  EXPECT_EQ(c.session.authorizer, nullptr);
}

TEST(Compose, AStaticAuthorizationHeaderTurnsOAuthOffAndIsSent) {
  ClientOptions options{.url = kServer, .headers = {{"Authorization", "Bearer static"}}, .env = untouchable_env};
  auto http = std::make_shared<ScriptedHttpClient>();
  options.http = http;
  EXPECT_FALSE(uses_oauth(options));
  const Composition c = compose(options);
  EXPECT_EQ(c.authorizer, nullptr);
  EXPECT_EQ(c.store, nullptr);  // and the user's store was never opened (untouchable_env)

  // A 401 is the server's answer: nobody is asked, nothing is discovered.
  http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}});
  EXPECT_EQ(post_to_server(c).status, 401);
  ASSERT_EQ(http->requests().size(), 1u);
  EXPECT_EQ(http->requests()[0].headers.get("Authorization"), "Bearer static");
}

TEST(Compose, OtherStaticHeadersAreSentBesideOAuth) {
  ClientOptions options{.url = kServer, .headers = {{"X-Tenant", "t1"}}};
  options.http = std::make_shared<ScriptedHttpClient>();
  options.store = store::make_memory_token_store();
  EXPECT_TRUE(uses_oauth(options));
  const Composition c = compose(options);
  ASSERT_NE(c.authorizer, nullptr);
  net::HttpRequest request;
  request.url = kServer;
  c.session.authorizer->apply(request);
  EXPECT_EQ(request.headers.get("X-Tenant"), "t1");
}

TEST(Compose, TheHostsConsentHttpClientAndStoreAreTheOnesUsed) {
  auto http = std::make_shared<ScriptedHttpClient>();
  auto consent = std::make_shared<CountingConsent>();
  auto memory = store::make_memory_token_store();
  ClientOptions options{.url = kServer, .store = memory, .consent = consent, .env = untouchable_env};
  options.http = http;
  const Composition c = compose(options);
  ASSERT_NE(c.authorizer, nullptr);
  EXPECT_EQ(c.store, memory);

  script_first_authorization(*http);
  EXPECT_EQ(post_to_server(c).status, 200);
  EXPECT_EQ(http->unanswered(), 0u);  // every exchange, OAuth's too, went through the given client
  EXPECT_EQ(consent->consents, 1);
  EXPECT_EQ(c.authorizer->access_token(), "at-1");

  // The grant is in the given store: another Authorizer over it has the
  // token without sending anything or asking anybody.
  auto quiet = std::make_shared<ScriptedHttpClient>();
  ClientOptions reader{.url = kServer, .store = memory, .env = untouchable_env};
  reader.http = quiet;
  reader.default_consent = false;
  EXPECT_EQ(make_authorizer(reader)->access_token(), "at-1");
  EXPECT_TRUE(quiet->requests().empty());
}

// ClientOptions::log: the session's exchanges, OAuth's and the steps of the
// authorization in one sink, without the code or the token.
TEST(Compose, TheLogGetsEveryExchangeAndEachStepOfTheAuthorization) {
  auto http = std::make_shared<ScriptedHttpClient>();
  std::vector<std::string> lines;
  ClientOptions options{
      .url = kServer, .store = store::make_memory_token_store(), .consent = std::make_shared<CountingConsent>()};
  options.http = http;
  options.log = [&lines](const std::string& line) { lines.push_back(line); };
  const Composition c = compose(options);
  script_first_authorization(*http);
  EXPECT_EQ(post_to_server(c).status, 200);
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  for (const std::string expected :
       {"\nPOST https://mcp.example/mcp -> 401 (",
        "\nGET https://mcp.example/.well-known/oauth-protected-resource/mcp -> 200 (",
        "\ndiscovery: resource https://mcp.example/mcp",
        "\nclient: dynamic registration (RFC 7591) at https://as.example/register",
        "\nPOST https://as.example/token -> 200 (", "\ntoken: obtained from https://as.example for client dyn-1",
        "\nPOST https://mcp.example/mcp -> 200 ("}) {
    EXPECT_NE(("\n" + all).find(expected), std::string::npos) << expected << " not in:\n" << all;
  }
  EXPECT_NE(all.find("code=[redacted]"), std::string::npos) << all;
  EXPECT_EQ(all.find("the-code"), std::string::npos) << all;
  EXPECT_EQ(all.find("at-1"), std::string::npos) << all;
}

TEST(Compose, TheOAuthSettingsReachTheAuthorizer) {
  auto http = std::make_shared<ScriptedHttpClient>();
  auto consent = std::make_shared<CountingConsent>();
  ClientOptions options{.url = kServer, .store = store::make_memory_token_store(), .consent = consent, .scope = "read"};
  options.http = http;
  options.client_name = "Host App";
  options.send_resource = false;
  const Composition c = compose(options);

  script_first_authorization(*http);
  EXPECT_EQ(post_to_server(c).status, 200);
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(sent[3].url, "https://as.example/register");
  EXPECT_EQ(Json::parse(sent[3].body)["client_name"], "Host App");
  EXPECT_EQ(consent->last_url.find("resource="), std::string::npos) << consent->last_url;
  EXPECT_NE(consent->last_url.find("scope=read"), std::string::npos) << consent->last_url;
  EXPECT_EQ(field(sent[4].body, "resource"), "<absent>");
}

TEST(Compose, WithoutDefaultConsentANeededAuthorizationIsAnErrorNotABrowser) {
  auto http = std::make_shared<ScriptedHttpClient>();
  ClientOptions options{.url = kServer, .store = store::make_memory_token_store()};
  options.http = http;
  options.default_consent = false;
  const Composition c = compose(options);
  http->then(401, {{"WWW-Authenticate", std::string("Bearer resource_metadata=\"") + kPrm + "\""}})
      .then(200, kJson, Json{{"resource", kServer}, {"authorization_servers", {kIssuer}}}.dump())
      .then(200, kJson,
            Json{{"issuer", kIssuer},
                 {"authorization_endpoint", "https://as.example/authorize"},
                 {"token_endpoint", "https://as.example/token"},
                 {"code_challenge_methods_supported", {"S256"}}}
                .dump());
  try {
    post_to_server(c);
    FAIL() << "expected authorization_required";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
  }
  EXPECT_EQ(http->unanswered(), 0u);
}

}  // namespace
}  // namespace mcpauth

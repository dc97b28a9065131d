#include "mcpauth/mcp/authorizing_http_client.hpp"

#include <gtest/gtest.h>

#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

using test_support::ScriptedHttpClient;

// Hands out "token-1", "token-2", ...: each on_rejected() that is allowed
// to succeed moves to the next token.
class CountingAuthorizer final : public RequestAuthorizer {
 public:
  int renewals_allowed = 0;
  std::vector<Rejection> rejections;

  void apply(net::HttpRequest& request) override {
    request.headers.set("Authorization", "Bearer token-" + std::to_string(generation_));
  }
  bool on_rejected(const net::HttpRequest&, const Rejection& rejection) override {
    rejections.push_back(rejection);
    if (renewals_allowed == 0) return false;
    --renewals_allowed;
    ++generation_;
    return true;
  }

 private:
  int generation_ = 1;
};

// Collects what a stream handler is given.
struct Collected final : net::HttpStreamHandler {
  int starts = 0;
  int status = 0;
  net::HttpHeaders headers;
  std::string body;
  bool on_response_start(int s, const net::HttpHeaders& h) override {
    ++starts;
    status = s;
    headers = h;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    body.append(chunk);
    return true;
  }
};

net::HttpRequest post(std::string body) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = "https://mcp.example/mcp";
  request.body = std::move(body);
  return request;
}

struct Fixture {
  std::shared_ptr<ScriptedHttpClient> http = std::make_shared<ScriptedHttpClient>();
  std::shared_ptr<CountingAuthorizer> authorizer = std::make_shared<CountingAuthorizer>();
  AuthorizingHttpClient client{http, authorizer};
};

TEST(AuthorizingHttpClient, AddsCredentialsToEveryRequestAndLeavesTheCallersUntouched) {
  Fixture f;
  f.http->then(200, {}, "ok");
  const net::HttpRequest request = post("{}");
  const auto response = f.client.send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(request.headers.contains("Authorization"));
  ASSERT_EQ(f.http->requests().size(), 1u);
  EXPECT_EQ(f.http->requests()[0].headers.get("Authorization"), "Bearer token-1");
  EXPECT_EQ(f.http->requests()[0].body, "{}");
  EXPECT_TRUE(f.authorizer->rejections.empty());
}

TEST(AuthorizingHttpClient, SendsAgainWithNewCredentialsAfterARejectionTheAuthorizerAnswers) {
  Fixture f;
  f.authorizer->renewals_allowed = 1;
  f.http->then(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}}).then(200, {}, "ok");
  const auto response = f.client.send(post("{}"));
  EXPECT_EQ(response.status, 200);
  const auto sent = f.http->requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].headers.get("Authorization"), "Bearer token-1");
  EXPECT_EQ(sent[1].headers.get("Authorization"), "Bearer token-2");
  EXPECT_EQ(sent[1].body, "{}");
  ASSERT_EQ(f.authorizer->rejections.size(), 1u);
  EXPECT_EQ(f.authorizer->rejections[0].status, 401);
  EXPECT_EQ(f.authorizer->rejections[0].headers.get("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
}

TEST(AuthorizingHttpClient, ARejectionTheAuthorizerCannotAnswerIsReturnedAsTheServerSentIt) {
  Fixture f;
  f.http->then(403, {{"WWW-Authenticate", "Bearer error=\"insufficient_scope\""}}, "forbidden");
  const auto response = f.client.send(post("{}"));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body, "forbidden");
  EXPECT_EQ(f.http->requests().size(), 1u);
  EXPECT_EQ(f.authorizer->rejections.size(), 1u);
}

TEST(AuthorizingHttpClient, RetriesAreBoundedEvenWhenTheAuthorizerKeepsSayingYes) {
  Fixture f;
  f.authorizer->renewals_allowed = 100;
  for (int i = 0; i <= kMaxCredentialRetries; ++i) f.http->then(401);
  const auto response = f.client.send(post("{}"));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(f.http->requests().size(), static_cast<std::size_t>(kMaxCredentialRetries + 1));
  EXPECT_EQ(f.http->unanswered(), 0u);
}

TEST(AuthorizingHttpClient, OtherStatusesAreNotTheAuthorizersBusiness) {
  Fixture f;
  f.authorizer->renewals_allowed = 1;
  f.http->then(404, {}, "no such session");
  EXPECT_EQ(f.client.send(post("{}")).status, 404);
  EXPECT_TRUE(f.authorizer->rejections.empty());
}

TEST(AuthorizingHttpClient, AStreamedRejectionIsHeldBackWhileTheRequestIsSentAgain) {
  Fixture f;
  f.authorizer->renewals_allowed = 1;
  f.http->then(401, {{"WWW-Authenticate", "Bearer"}}, "unauthorized")
      .then(200, {{"Content-Type", "text/event-stream"}}, "data: {}\n\n");
  Collected collected;
  f.client.stream(post("{}"), collected);
  EXPECT_EQ(collected.starts, 1);  // the handler never saw the 401
  EXPECT_EQ(collected.status, 200);
  EXPECT_EQ(collected.body, "data: {}\n\n");
  EXPECT_EQ(f.http->requests().size(), 2u);
}

TEST(AuthorizingHttpClient, AStreamedRejectionThatStandsReachesTheHandlerWithItsBody) {
  Fixture f;
  f.http->then(401, {{"WWW-Authenticate", "Bearer realm=\"x\""}}, "{\"error\":\"who are you\"}");
  Collected collected;
  f.client.stream(post("{}"), collected);
  EXPECT_EQ(collected.starts, 1);
  EXPECT_EQ(collected.status, 401);
  EXPECT_EQ(collected.headers.get("WWW-Authenticate"), "Bearer realm=\"x\"");
  EXPECT_EQ(collected.body, "{\"error\":\"who are you\"}");
}

TEST(AuthorizingHttpClient, AHugeRejectionBodyIsCutNotBuffered) {
  Fixture f;
  f.http->then(401, {}, std::string(1u << 20, 'x'));
  Collected collected;
  f.client.stream(post("{}"), collected);
  EXPECT_EQ(collected.status, 401);
  EXPECT_LT(collected.body.size(), 1u << 20);
  EXPECT_GT(collected.body.size(), 0u);
}

TEST(AuthorizingHttpClient, WithoutAnAuthorizerTheClientIsUsedAsItIs) {
  auto http = std::make_shared<ScriptedHttpClient>();
  EXPECT_EQ(with_credentials(http, nullptr), http);
  EXPECT_NE(with_credentials(http, std::make_shared<CountingAuthorizer>()), http);
}

}  // namespace
}  // namespace mcpauth::mcp

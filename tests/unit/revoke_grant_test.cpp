// auth::revoke_grant, the one way `mcpauth logout` and the dashboard revoke a
// stored grant, against a recording HttpClient and the memory token store.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcpauth/auth/revocation.hpp"

namespace {

using namespace mcpauth;

constexpr const char* kServer = "https://mcp.example/mcp";
constexpr const char* kIssuer = "https://mcp.example";

// Answers every request with `status`, or 400 for a body holding `refuse`.
class RecordingHttpClient final : public net::HttpClient {
 public:
  std::vector<net::HttpRequest> requests;
  std::string refuse = "\x01";  // a token hint to refuse; none by default

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken*) override {
    requests.push_back(request);
    if (request.body.find(refuse) != std::string::npos) {
      return net::HttpResponse{
          400, {{"Content-Type", "application/json"}}, R"({"error":"invalid_request"})", request.url};
    }
    return net::HttpResponse{200, {}, "", request.url};
  }
  void stream(const net::HttpRequest&, net::HttpStreamHandler&, net::CancelToken*) override {
    ADD_FAILURE() << "revocation never streams";
  }
};

// A 2025-03-26 style record: authorization server metadata at the server's origin.
store::DiscoveryRecord discovery(const std::string& revocation_endpoint) {
  store::DiscoveryRecord record;
  record.server_url = kServer;
  record.issuer = kIssuer;
  record.as_url = std::string(kIssuer) + "/.well-known/oauth-authorization-server";
  record.as_body = nlohmann::json{
      {"issuer", kIssuer},
      {"authorization_endpoint", std::string(kIssuer) + "/authorize"},
      {"token_endpoint", std::string(kIssuer) + "/token"},
      {"revocation_endpoint", revocation_endpoint},
      {"code_challenge_methods_supported",
       {"S256"}}}.dump();
  return record;
}

store::GrantRecord grant(bool with_refresh_token) {
  store::GrantRecord g;
  g.key = {kServer, kIssuer, "the-client", ""};
  g.tokens.access_token = "access-1";
  if (with_refresh_token) g.tokens.refresh_token = "refresh-1";
  return g;
}

constexpr std::chrono::milliseconds kTimeout{5'000};

TEST(RevokeGrant, RevokesTheRefreshTokenThenTheAccessTokenAsThePublicClient) {
  RecordingHttpClient http;
  const auto store = store::make_memory_token_store();
  const auto outcome =
      auth::revoke_grant(http, *store, grant(true), discovery(std::string(kIssuer) + "/revoke"), kTimeout);
  EXPECT_TRUE(outcome.grant_revoked);
  EXPECT_TRUE(outcome.refresh_token_revoked);
  EXPECT_TRUE(outcome.access_token_revoked);
  EXPECT_TRUE(outcome.problems.empty());
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(http.requests[0].url, std::string(kIssuer) + "/revoke");
  EXPECT_NE(http.requests[0].body.find("token=refresh-1"), std::string::npos) << http.requests[0].body;
  EXPECT_NE(http.requests[1].body.find("token=access-1"), std::string::npos) << http.requests[1].body;
  // No stored registration: the grant's own client id, as a public client.
  EXPECT_NE(http.requests[0].body.find("client_id=the-client"), std::string::npos) << http.requests[0].body;
  EXPECT_FALSE(http.requests[0].follow_redirects);
}

TEST(RevokeGrant, WithARefreshTokenTheGrantEndsOnlyWhenThatIsRevoked) {
  RecordingHttpClient http;
  http.refuse = "token=refresh-1";
  const auto store = store::make_memory_token_store();
  const auto outcome =
      auth::revoke_grant(http, *store, grant(true), discovery(std::string(kIssuer) + "/revoke"), kTimeout);
  EXPECT_FALSE(outcome.refresh_token_revoked);
  EXPECT_TRUE(outcome.access_token_revoked);
  EXPECT_FALSE(outcome.grant_revoked);
  EXPECT_FALSE(outcome.problems.empty());
}

TEST(RevokeGrant, WithoutARefreshTokenTheAccessTokenEndsIt) {
  RecordingHttpClient http;
  const auto store = store::make_memory_token_store();
  const auto outcome =
      auth::revoke_grant(http, *store, grant(false), discovery(std::string(kIssuer) + "/revoke"), kTimeout);
  EXPECT_TRUE(outcome.grant_revoked);
  ASSERT_EQ(http.requests.size(), 1u);
}

TEST(RevokeGrant, AnEndpointTheServerChoseElsewhereGetsTheServerDirectedAddressRules) {
  RecordingHttpClient http;
  const auto store = store::make_memory_token_store();
  auth::revoke_grant(http, *store, grant(false), discovery("https://revoke.example/revoke"), kTimeout);
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_FALSE(http.requests[0].addresses.loopback);
  EXPECT_FALSE(http.requests[0].addresses.link_local);
}

TEST(RevokeGrant, SendsNothingForAnUndecryptableGrantOrWithoutDiscovery) {
  RecordingHttpClient http;
  const auto store = store::make_memory_token_store();
  auto broken = grant(true);
  broken.error = "cannot be decrypted";
  auto outcome = auth::revoke_grant(http, *store, broken, discovery(std::string(kIssuer) + "/revoke"), kTimeout);
  EXPECT_FALSE(outcome.grant_revoked);
  ASSERT_EQ(outcome.problems.size(), 1u);
  outcome = auth::revoke_grant(http, *store, grant(true), std::nullopt, kTimeout);
  EXPECT_FALSE(outcome.grant_revoked);
  ASSERT_EQ(outcome.problems.size(), 1u);
  EXPECT_TRUE(http.requests.empty());
}

}  // namespace

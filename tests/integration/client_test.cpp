// mcpauth::Client, the one-object entry point, used as an embedder uses it:
// the examples/list_tools program against a real OAuth server (oidc-provider),
// sharing its login with the `mcpauth` command through the user's store, and
// in process against servers with and without authorization.
#include <gtest/gtest.h>

#include <regex>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/mcpauth.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/store/token_store.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::browser;
using testing::cli;
using testing::PeerProcess;
using testing::run_command;
using testing::test_home;

const std::string kNoBrowser = "BROWSER=/bin/false";

// The environment of the commands run_command starts: the same store.
std::optional<std::string> test_env(const std::string& name) {
  if (name == "XDG_DATA_HOME") return test_home() + "/data";
  if (name == "XDG_CONFIG_HOME") return test_home() + "/config";
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

Json status_of(const std::string& url) {
  const auto r = run_command(cli({"status", url, "--json"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out);
}

// A consent that must never be asked for.
class NoConsent final : public auth::ConsentHandler {
 public:
  std::unique_ptr<auth::ConsentSession> begin(const std::string&) override {
    ADD_FAILURE() << "a consent was asked for";
    throw Error(ErrorCode::authorization_required, "no consent in this test");
  }
};

TEST(Client, TheListToolsExampleAuthorizesOnceAndSharesTheLoginWithTheCommand) {
  PeerProcess peer("oidc-server.mjs");
  const auto first = run_command({MCPAUTH_EXAMPLE_LIST_TOOLS, peer.url()}, {"BROWSER=" + browser()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(std::regex_search(first.out, std::regex("(^|\\n)echo( |\\n)"))) << first.out;
  EXPECT_NE(first.err.find("authorized by http://localhost:"), std::string::npos) << first.err;

  const Json rows = status_of(peer.url());
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["state"], "authorized");

  // Without a browser: the command and the example both use the stored grant.
  const auto tools = run_command(cli({"tools", peer.url()}), {kNoBrowser});
  EXPECT_EQ(tools.exit_code, 0) << tools.err;
  const auto again = run_command({MCPAUTH_EXAMPLE_LIST_TOOLS, peer.url()}, {kNoBrowser});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/auth"), 1);
}

TEST(Client, InProcessItUsesTheGrantAnotherProgramStoredAndHandsOutItsAccessToken) {
  PeerProcess peer("oidc-server.mjs");
  const auto login = run_command(cli({"login", peer.url()}), {"BROWSER=" + browser()});
  ASSERT_EQ(login.exit_code, 0) << login.err;

  auto client = Client::connect({.url = peer.url(), .consent = std::make_shared<NoConsent>(), .env = test_env});
  EXPECT_FALSE(client->list_tools().empty());
  EXPECT_EQ(client->call_tool("echo", {{"text", "embedded"}}).result.at("content").at(0).at("text"), "embedded");
  const auto grant = client->authorization();
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->issuer, status_of(peer.url())[0]["issuer"]);

  // The token works on its own against the resource server.
  const std::string token = client->access_token();
  EXPECT_GT(token.size(), 20u);
  net::HttpRequest request;
  request.method = "POST";
  request.url = peer.url();
  request.headers.set("Authorization", "Bearer " + token);
  request.headers.set("Content-Type", "application/json");
  request.headers.set("Accept", "application/json, text/event-stream");
  request.body = R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}})";
  EXPECT_EQ(net::CurlHttpClient().send(request).status, 200);
  client->close();
}

TEST(Client, AServerWithoutAuthorizationNeedsNoStoreOrConsent) {
  PeerProcess peer("streamable-server.mjs");
  auto client = Client::connect(
      {.url = peer.url(), .store = store::make_memory_token_store(), .consent = std::make_shared<NoConsent>()});
  EXPECT_FALSE(client->list_tools().empty());
  EXPECT_FALSE(client->authorization().has_value());
  try {
    client->access_token();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::authorization_required) << e.what();
  }
}

// A static Authorization header is the caller's choice: no OAuth behind it.
TEST(Client, AStaticAuthorizationHeaderTurnsOAuthOff) {
  PeerProcess peer("oidc-server.mjs");
  ClientOptions options{.url = peer.url(), .consent = std::make_shared<NoConsent>(), .env = test_env};
  options.headers.set("Authorization", "Bearer not-a-token");
  EXPECT_THROW(Client::connect(std::move(options)), Error);
  EXPECT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/auth"), 0);
}

// The results path: a host without a consent of its own in requests gets
// the need (what to authorize, where, for which scope), runs it with its
// consent, and connects again.
TEST(Client, AHostGetsTheNeedRunsTheAuthorizationItselfAndConnectsAgain) {
  PeerProcess peer("oidc-server.mjs");
  const ClientOptions options{.url = peer.url(), .store = store::make_memory_token_store(), .default_consent = false};
  std::optional<Error> need;
  try {
    Client::connect(options);
    ADD_FAILURE() << "connected without authorization";
  } catch (const Error& e) {
    need = e;
  }
  ASSERT_TRUE(need.has_value());
  EXPECT_EQ(need->code(), ErrorCode::authorization_required) << need->what();
  EXPECT_TRUE(is_authorization_need(*need));
  EXPECT_EQ(need->detail().resource, peer.url());
  EXPECT_TRUE(std::regex_match(need->detail().issuer, std::regex("http://localhost:[0-9]+/oidc")))
      << need->detail().issuer;
  EXPECT_NE(need->detail().required_scope.find("mcp:tools"), std::string::npos) << need->detail().required_scope;
  EXPECT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/auth"), 0) << "nobody was asked";

  ASSERT_EQ(setenv("BROWSER", browser().c_str(), 1), 0);
  struct Unset {
    ~Unset() { unsetenv("BROWSER"); }
  } unset;
  auth::LoopbackConsent consent({.notify = [](const std::string&) {}});
  const auth::AuthorizationInfo info = Client::authorize(options, consent);
  EXPECT_EQ(info.issuer, need->detail().issuer);
  EXPECT_EQ(info.scope, "mcp:tools");

  auto client = Client::connect(options);
  EXPECT_EQ(client->call_tool("echo", {{"text", "after consent"}}).result.at("content").at(0).at("text"),
            "after consent");
  EXPECT_EQ(client->authorization()->issuer, info.issuer);
  EXPECT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/auth"), 1);

  // A host's "Authorize" button on a connected client: a new consent, a new grant.
  const auth::AuthorizationInfo again = client->authorize(consent);
  EXPECT_EQ(again.issuer, info.issuer);
  EXPECT_EQ(testing::count_requests(testing::as_requests(peer), "/oidc/auth"), 2);
  EXPECT_FALSE(client->list_tools().empty());
  client->close();
}

}  // namespace
}  // namespace mcpauth

// OAuth negative tests against tests/peers/evil-oauth-server.mjs: an MCP
// resource server and an authorization server that misbehave on purpose
// (wrong or missing state / iss, issuer and resource mismatches, no PKCE
// S256, insecure or javascript: endpoints, token endpoint errors, tokens the
// server never accepts). Each refusal must be the catalogue error, and the
// peer's request log (GET /__log) must show that nothing was sent after the
// failed check: no authorization request, no token request, no token.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::PeerProcess;
using testing::run_command;

const std::string kBrowser = testing::follow_browser();
// Never contacted: the test consent reads the redirect's Location instead.
const std::string kRedirectUri = "http://127.0.0.1:9/callback/evil";

// ---------------------------------------------------------------- the peer's log

struct LoggedRequest {
  std::string server;  // "rs" or "as"
  std::string method;
  std::string path;
  std::optional<std::string> authorization;
};

std::vector<LoggedRequest> request_log(const PeerProcess& peer) {
  net::CurlHttpClient http;
  net::HttpRequest request;
  request.url = peer.url("/__log");
  request.total_timeout = std::chrono::seconds(5);
  const auto response = http.send(request);
  EXPECT_EQ(response.status, 200);
  const auto doc = nlohmann::json::parse(response.body);
  std::vector<LoggedRequest> out;
  for (const auto& entry : doc) {
    LoggedRequest r{entry.at("server"), entry.at("method"), entry.at("path"), std::nullopt};
    if (entry.at("authorization").is_string()) r.authorization = entry.at("authorization").get<std::string>();
    out.push_back(std::move(r));
  }
  return out;
}

int count(const std::vector<LoggedRequest>& log, const std::string& server, const std::string& method,
          const std::string& path) {
  return static_cast<int>(std::count_if(log.begin(), log.end(), [&](const LoggedRequest& r) {
    return r.server == server && r.method == method && r.path == path;
  }));
}

std::string describe(const std::vector<LoggedRequest>& log) {
  std::string out;
  for (const auto& r : log) {
    out += r.server + " " + r.method + " " + r.path + (r.authorization ? " [Authorization]" : "") + "\n";
  }
  return out;
}

// Every Authorization header in the log is a Bearer token on the resource
// server; the authorization server (a public client's token endpoint
// included) never sees one. Returns how many requests carried a token.
int expect_tokens_only_on_the_resource_server(const std::vector<LoggedRequest>& log) {
  int bearer = 0;
  for (const auto& r : log) {
    if (!r.authorization) continue;
    EXPECT_EQ(r.server, "rs") << "a credential went to the authorization server: " << r.method << " " << r.path << "\n"
                              << describe(log);
    EXPECT_EQ(r.authorization->rfind("Bearer ", 0), 0u) << r.method << " " << r.path;
    EXPECT_EQ(r.path, "/mcp") << "a token went to another resource path";
    ++bearer;
  }
  return bearer;
}

// ---------------------------------------------------------------- a headless consent

// Approves by GETting the authorization URL without following the redirect
// and handing back the Location's query, as a browser would deliver it.
class FollowOnceConsent final : public auth::ConsentHandler {
 public:
  explicit FollowOnceConsent(std::shared_ptr<net::HttpClient> http) : http_(std::move(http)) {}

  std::unique_ptr<auth::ConsentSession> begin(const std::string&) override {
    ++begins;
    return std::make_unique<Session>(*this);
  }

  std::atomic<int> begins{0};
  std::atomic<int> awaits{0};

 private:
  class Session final : public auth::ConsentSession {
   public:
    explicit Session(FollowOnceConsent& owner) : owner_(owner) {}
    std::string redirect_uri() const override { return kRedirectUri; }
    core::oauth::FormFields await(const auth::ConsentPrompt& prompt) override {
      ++owner_.awaits;
      net::HttpRequest request;
      request.url = prompt.authorization_url;
      request.follow_redirects = false;
      request.total_timeout = std::chrono::seconds(5);
      const auto response = owner_.http_->send(request);
      const auto location = response.headers.get("Location");
      if (response.status != 302 || !location || location->rfind(kRedirectUri + "?", 0) != 0) {
        throw Error(ErrorCode::authorization_denied, "the test authorization server answered HTTP " +
                                                         std::to_string(response.status) +
                                                         " without a redirect to the redirect URI");
      }
      return core::oauth::parse_form(location->substr(kRedirectUri.size() + 1));
    }

   private:
    FollowOnceConsent& owner_;
  };

  std::shared_ptr<net::HttpClient> http_;
};

struct LibraryRun {
  std::shared_ptr<FollowOnceConsent> consent;
  std::shared_ptr<auth::Authorizer> authorizer;
  std::shared_ptr<net::HttpClient> http;
};

LibraryRun library_client(const PeerProcess& peer) {
  LibraryRun run;
  run.http = std::make_shared<net::CurlHttpClient>();
  run.consent = std::make_shared<FollowOnceConsent>(run.http);
  auth::AuthorizerOptions options;
  options.server_url = peer.url();
  options.http = run.http;
  options.consent = run.consent;
  options.http_timeout = std::chrono::seconds(5);
  options.consent_timeout = std::chrono::seconds(5);
  run.authorizer = std::make_shared<auth::Authorizer>(options);
  return run;
}

// Connects and calls echo; returns the error that ended it, if any.
std::optional<Error> connect_and_call(const PeerProcess& peer, LibraryRun& run) {
  try {
    auto session = mcp::Session::connect({.url = peer.url(),
                                          .http = run.http,
                                          .authorizer = run.authorizer,
                                          .request_timeout = std::chrono::seconds(5)});
    const auto result = session->call_tool("echo", {{"text", "through the evil peer"}});
    EXPECT_EQ(result.result.at("content").at(0).at("text"), "through the evil peer");
    session->close();
    return std::nullopt;
  } catch (const Error& e) {
    return e;
  }
}

// ---------------------------------------------------------------- the control

TEST(OAuthNegative, GoodModeAuthorizesAndTheTokenOnlyGoesToTheResourceServer) {
  // The control: the peer's flow works, so every refusal below is the client's doing.
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  auto run = library_client(peer);
  const auto error = connect_and_call(peer, run);
  ASSERT_FALSE(error.has_value()) << error->what();
  EXPECT_EQ(run.authorizer->authorizations(), 1);

  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/token"), 1) << describe(log);
  EXPECT_GE(expect_tokens_only_on_the_resource_server(log), 2) << describe(log);
}

TEST(OAuthNegative, GoodModeThroughTheCliSendsTheTokenOnlyToTheResourceServer) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"hi"})"}), {"BROWSER=" + kBrowser},
                             std::chrono::seconds(10));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hi\n");
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "POST", "/token"), 1) << describe(log);
  EXPECT_GE(expect_tokens_only_on_the_resource_server(log), 2) << describe(log);
}

// ---------------------------------------------------------------- refusals, one per mode

enum class Stage {
  discovery,  // refused from metadata: no registration, no authorization request, no token request
  callback,   // refused on the redirect: one authorization request, no token request
  token,      // refused on the token response: one token request, no token ever used
};

struct Refusal {
  const char* mode;
  ErrorCode code;
  const char* fragment;  // part of the message
  Stage stage;
  int cli_exit = 6;
  // The CLI's loopback listener only ends the consent on a redirect carrying
  // the flow's state: a wrong or missing one is a stray request, so the CLI
  // keeps waiting, gives up at the consent timeout and never redeems the code.
  bool cli_waits_for_consent = false;
};

std::ostream& operator<<(std::ostream& os, const Refusal& r) {
  return os << r.mode;
}

class Refused : public ::testing::TestWithParam<Refusal> {
 protected:
  void expect_nothing_sent_after_the_check(const std::vector<LoggedRequest>& log) {
    const Refusal& c = GetParam();
    // The client did start: the 401 and the PRM fetch are there.
    EXPECT_GE(count(log, "rs", "POST", "/mcp"), 1) << describe(log);
    EXPECT_EQ(count(log, "rs", "GET", "/.well-known/oauth-protected-resource/mcp"), 1) << describe(log);
    switch (c.stage) {
      case Stage::discovery:
        EXPECT_EQ(count(log, "as", "POST", "/register"), 0) << describe(log);
        EXPECT_EQ(count(log, "as", "GET", "/authorize"), 0) << describe(log);
        EXPECT_EQ(count(log, "as", "POST", "/token"), 0) << describe(log);
        break;
      case Stage::callback:
        EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
        EXPECT_EQ(count(log, "as", "POST", "/token"), 0) << "the code was redeemed after a failed check\n"
                                                         << describe(log);
        break;
      case Stage::token: EXPECT_EQ(count(log, "as", "POST", "/token"), 1) << describe(log); break;
    }
    // No credential of any kind left the client, and the server was not asked again.
    for (const auto& r : log) {
      EXPECT_FALSE(r.authorization.has_value())
          << r.server << " " << r.method << " " << r.path << " got " << r.authorization->substr(0, 7) << "...\n"
          << describe(log);
    }
    EXPECT_EQ(count(log, "rs", "POST", "/mcp"), 1) << describe(log);
  }
};

TEST_P(Refused, ByTheLibrary) {
  const Refusal& c = GetParam();
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", c.mode});
  auto run = library_client(peer);
  const auto error = connect_and_call(peer, run);
  ASSERT_TRUE(error.has_value()) << "the client accepted mode " << c.mode;
  EXPECT_EQ(error->code(), c.code) << to_string(error->code()) << ": " << error->what();
  EXPECT_NE(std::string(error->what()).find(c.fragment), std::string::npos) << error->what();
  EXPECT_EQ(run.consent->awaits.load(), c.stage == Stage::discovery ? 0 : 1) << "the user was asked to consent";
  EXPECT_FALSE(run.authorizer->info().has_value());
  expect_nothing_sent_after_the_check(request_log(peer));
}

TEST_P(Refused, ByTheCli) {
  const Refusal& c = GetParam();
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", c.mode});
  const std::string consent_timeout = c.cli_waits_for_consent ? "1" : "5";
  const auto r =
      run_command(cli({"call", peer.url(), "echo", R"({"text":"hi"})", "--consent-timeout", consent_timeout}),
                  {"BROWSER=" + kBrowser}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, c.cli_exit) << "-1 means it was still running after 10 s\n" << r.err;
  EXPECT_EQ(r.out, "");
  const std::string fragment = c.cli_waits_for_consent ? "nobody completed the authorization" : c.fragment;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  expect_nothing_sent_after_the_check(request_log(peer));
}

INSTANTIATE_TEST_SUITE_P(
    OAuthNegative, Refused,
    ::testing::Values(
        Refusal{"wrong-state", ErrorCode::state_mismatch, "does not belong to this flow", Stage::callback, 6, true},
        Refusal{"missing-state", ErrorCode::state_mismatch, "carries no state", Stage::callback, 6, true},
        Refusal{"wrong-iss", ErrorCode::issuer_mismatch, "names another issuer", Stage::callback},
        Refusal{"missing-iss", ErrorCode::issuer_mismatch, "has no iss parameter", Stage::callback},
        Refusal{"issuer-mismatch", ErrorCode::issuer_mismatch, "/someone-else", Stage::discovery},
        Refusal{"prm-other-origin", ErrorCode::resource_mismatch, "\"http://other.example/mcp\"", Stage::discovery},
        Refusal{"no-s256", ErrorCode::pkce_unsupported, "does not advertise PKCE with S256", Stage::discovery},
        Refusal{"no-pkce-field", ErrorCode::pkce_unsupported, "does not advertise PKCE with S256", Stage::discovery},
        Refusal{"http-as", ErrorCode::insecure_url, "http://as.example.com", Stage::discovery},
        Refusal{"javascript-authorize", ErrorCode::insecure_url, "javascript:alert(1)", Stage::discovery},
        Refusal{"token-error", ErrorCode::token_rejected, "invalid_grant (nope)", Stage::token},
        Refusal{"token-200-error", ErrorCode::token_rejected, "access_denied", Stage::token},
        // A non-Bearer token is a malformed token response (ErrorCode::protocol, exit 4),
        // as tests/unit/oauth_flow_test.cpp NonBearerTypeIsRejected pins it.
        Refusal{"token-not-bearer", ErrorCode::protocol, "issued a token of type \"mac\"", Stage::token, 4}),
    [](const ::testing::TestParamInfo<Refusal>& info) {
      std::string name = info.param.mode;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// A dynamic registration the authorization server no longer knows heals by
// itself: the stored client is dropped, mcpauth registers again and asks for
// consent once more; nobody deletes anything.
TEST(OAuthNegative, ARegistrationTheServerForgotIsReplacedWithoutTheUser) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "forget-client-once"});
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"healed"})"}), {"BROWSER=" + kBrowser},
                             std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("healed"), std::string::npos);
  EXPECT_NE(r.err.find("registering mcpauth again"), std::string::npos) << r.err;
  const auto log = request_log(peer);
  const auto count = [&log](const std::string& method, const std::string& path) {
    return std::count_if(log.begin(), log.end(), [&](const LoggedRequest& q) {
      return q.server == "as" && q.method == method && q.path == path;
    });
  };
  EXPECT_EQ(count("POST", "/register"), 2) << describe(log);
  EXPECT_EQ(count("GET", "/authorize"), 2) << describe(log);
  EXPECT_EQ(count("POST", "/token"), 2) << describe(log);
}

TEST(OAuthNegative, HttpAuthorizationServerIsNeverContacted) {
  // Refused from the PRM alone: the authorization server's listener sees nothing
  // (and as.example.com would have given a connection or metadata error, not insecure_url).
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "http-as"});
  auto run = library_client(peer);
  const auto error = connect_and_call(peer, run);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), ErrorCode::insecure_url) << error->what();
  const auto log = request_log(peer);
  EXPECT_TRUE(std::all_of(log.begin(), log.end(), [](const LoggedRequest& r) { return r.server == "rs"; }))
      << describe(log);
}

// ---------------------------------------------------------------- a server that never accepts its tokens

TEST(OAuthNegative, FreshTokenRejectedEndsTheCliWithoutLooping) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "fresh-token-401"});
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"hi"})"}), {"BROWSER=" + kBrowser},
                             std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 6) << "-1 means it was still running after 10 s\n" << r.err;
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  const auto log = request_log(peer);
  const int authorizations = count(log, "as", "GET", "/authorize");
  EXPECT_GE(authorizations, 1) << describe(log);
  EXPECT_LE(authorizations, 3) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/token"), authorizations) << describe(log);
  EXPECT_GE(expect_tokens_only_on_the_resource_server(log), 1) << describe(log);
}

TEST(OAuthNegative, FreshTokenRejectedIsBoundedAcrossConnectsInTheLibrary) {
  // One Authorizer, connected again and again to a server that refuses every
  // token: it authorizes at most max_authorizations (3) times, then refuses
  // at once. The tokens it holds while re-authorizing never reach the
  // authorization server.
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "fresh-token-401"});
  auto run = library_client(peer);
  std::vector<Error> errors;
  for (int i = 0; i < 5; ++i) {
    if (auto error = connect_and_call(peer, run)) errors.push_back(*error);
  }
  ASSERT_EQ(errors.size(), 5u) << "the server never accepts a token";
  for (const auto& e : errors) EXPECT_EQ(e.code(), ErrorCode::unauthorized) << e.what();
  EXPECT_NE(std::string(errors.back().what()).find("still answers 401 after 3 authorizations"), std::string::npos)
      << errors.back().what();
  EXPECT_EQ(run.authorizer->authorizations(), 3);

  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 3) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/token"), 3) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/register"), 1) << "the registration is reused\n" << describe(log);
  EXPECT_GE(expect_tokens_only_on_the_resource_server(log), 3) << describe(log);
}

}  // namespace
}  // namespace mcpauth

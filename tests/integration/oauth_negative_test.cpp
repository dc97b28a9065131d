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
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <csignal>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::PeerProcess;
using testing::run_command;

// Never contacted: the test consent reads the redirect's Location instead.
const std::string kRedirectUri = "http://127.0.0.1:9/callback/evil";

// ---------------------------------------------------------------- the peer's log

struct LoggedRequest {
  std::string server;  // "rs" or "as"
  std::string method;
  std::string path;
  std::optional<std::string> authorization;
  std::string query;                      // with its '?'
  std::optional<std::string> grant_type;  // POST /token only
  std::optional<std::string> scope;       // POST /token only
};

std::vector<LoggedRequest> request_log(const PeerProcess& peer) {
  const auto doc = testing::get_json(peer.url("/__log"));
  std::vector<LoggedRequest> out;
  for (const auto& entry : doc) {
    LoggedRequest r{entry.at("server"), entry.at("method"), entry.at("path"), std::nullopt, entry.at("query"), {}, {}};
    if (entry.at("authorization").is_string()) r.authorization = entry.at("authorization").get<std::string>();
    if (entry.contains("grant_type") && entry.at("grant_type").is_string()) r.grant_type = entry.at("grant_type");
    if (entry.contains("scope") && entry.at("scope").is_string()) r.scope = entry.at("scope");
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

// The client registrations and token requests the authorization server saw.
void expect_registrations_and_tokens(const std::vector<LoggedRequest>& log, int registrations, int tokens) {
  EXPECT_EQ(count(log, "as", "POST", "/register"), registrations) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/token"), tokens) << describe(log);
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
  std::atomic<int> timeouts_left{0};  // the next awaits end as if nobody consented

 private:
  class Session final : public auth::ConsentSession {
   public:
    explicit Session(FollowOnceConsent& owner) : owner_(owner) {}
    std::string redirect_uri() const override { return kRedirectUri; }
    core::oauth::FormFields await(const auth::ConsentPrompt& prompt) override {
      ++owner_.awaits;
      if (owner_.timeouts_left > 0) {
        --owner_.timeouts_left;
        throw Error(ErrorCode::consent_timeout, "nobody completed the test authorization");
      }
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
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();  // notify()

  bool said(const std::string& part) const {
    return std::any_of(lines->begin(), lines->end(),
                       [&](const std::string& line) { return line.find(part) != std::string::npos; });
  }
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
  options.notify = [lines = run.lines](const std::string& line) { lines->push_back(line); };
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

// Connects through the library and calls a tool, which must work, with
// `authorizations` of its own (a mode the client is to get through).
LibraryRun expect_it_works(const PeerProcess& peer, int authorizations = 1) {
  auto run = library_client(peer);
  const auto error = connect_and_call(peer, run);
  EXPECT_FALSE(error.has_value()) << error->what();
  EXPECT_EQ(run.authorizer->authorizations(), authorizations);
  return run;
}

// ---------------------------------------------------------------- the control

TEST(OAuthNegative, GoodModeAuthorizesAndTheTokenOnlyGoesToTheResourceServer) {
  // The control: the peer's flow works, so every refusal below is the client's doing.
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto run = expect_it_works(peer);
  if (HasFailure()) return;

  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/token"), 1) << describe(log);
  EXPECT_GE(expect_tokens_only_on_the_resource_server(log), 2) << describe(log);
}

TEST(OAuthNegative, GoodModeThroughTheCliSendsTheTokenOnlyToTheResourceServer) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"hi"})"}), {testing::follow_browser_env()},
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
                  {testing::follow_browser_env()}, std::chrono::seconds(10));
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
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"healed"})"}), {testing::follow_browser_env()},
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
  const auto r = run_command(cli({"call", peer.url(), "echo", R"({"text":"hi"})"}), {testing::follow_browser_env()},
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

// ---------------------------------------------------------------- hardening (issue 11)

std::vector<LoggedRequest> token_requests(const std::vector<LoggedRequest>& log) {
  std::vector<LoggedRequest> out;
  std::copy_if(log.begin(), log.end(), std::back_inserter(out),
               [](const LoggedRequest& r) { return r.server == "as" && r.method == "POST" && r.path == "/token"; });
  return out;
}

// Item 14: a token endpoint that answers 503/429 once gets the same code
// again (still valid) instead of a new registration and a second consent.
class TokenHiccup : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenHiccup, TheSameCodeIsExchangedAgainWithoutASecondConsent) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", GetParam()});
  const auto run = expect_it_works(peer);
  if (HasFailure()) return;
  EXPECT_EQ(run.consent->awaits.load(), 1);
  EXPECT_TRUE(run.said("trying again in 1 s")) << "the user is told about the wait";
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "POST", "/register"), 1) << describe(log);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
  const auto tokens = token_requests(log);
  ASSERT_EQ(tokens.size(), 2u) << describe(log);
  for (const auto& t : tokens) EXPECT_EQ(t.grant_type, "authorization_code");
}

INSTANTIATE_TEST_SUITE_P(OAuthNegative, TokenHiccup, ::testing::Values("token-503-once", "token-429-once"));

// Item 14, the other half: metadata that takes seconds to come (2.5 s for
// each document here) simply works, with one authorization.
TEST(OAuthNegative, SlowMetadataSimplyWorks) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "slow-metadata"});
  const auto run = expect_it_works(peer);
  if (HasFailure()) return;
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "rs", "GET", "/.well-known/oauth-protected-resource/mcp"), 1) << describe(log);
  EXPECT_EQ(count(log, "as", "GET", "/.well-known/oauth-authorization-server"), 1) << describe(log);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
}

// Item 19: an authorization that fails before the browser step (no
// registration endpoint, no --client-id) ends at once with the intended
// message; it used to hang on the loopback listener in most runs.
TEST(OAuthNegative, NoRegistrationAndNoClientIdFailsAtOnceEveryTime) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "no-registration"});
  for (int i = 0; i < 5; ++i) {
    const auto r = run_command(cli({"login", peer.url()}), {testing::follow_browser_env()}, std::chrono::seconds(10));
    ASSERT_NE(r.exit_code, -1) << "run " << i << " still running after 10 s\n" << r.err;
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("--client-id"), std::string::npos) << r.err;
  }
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 0) << describe(log);
}

// Item 28: a refresh repeats the granted scope (this server refuses one
// without it), so an expired token costs no new consent.
TEST(OAuthNegative, ARefreshRepeatsTheGrantedScope) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "refresh-needs-scope"});
  const auto run = expect_it_works(peer);
  if (HasFailure()) return;
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
  const auto tokens = token_requests(log);
  ASSERT_EQ(tokens.size(), 2u) << describe(log);
  EXPECT_EQ(tokens[1].grant_type, "refresh_token");
  EXPECT_EQ(tokens[1].scope, "mcp:tools");
}

// Item 29: a refused refresh token leads to a new authorization, and the
// user is told why in one line.
TEST(OAuthNegative, ARevokedRefreshTokenIsSaidBeforeAuthorizingAgain) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "refresh-revoked"});
  const auto run = expect_it_works(peer, 2);
  if (HasFailure()) return;
  EXPECT_TRUE(run.said("The refresh token was refused by")) << ::testing::PrintToString(*run.lines);
  EXPECT_TRUE(run.said("(invalid_grant): authorizing again.")) << ::testing::PrintToString(*run.lines);
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 2) << describe(log);
}

// Item 21: consents nobody completed are not tokens the server rejected:
// they never use up the authorization budget, and the next request offers
// a new authorization.
TEST(OAuthNegative, MissedConsentsNeverUseUpTheAuthorizationBudget) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  auto run = library_client(peer);
  run.consent->timeouts_left = 3;
  for (int i = 0; i < 3; ++i) {
    const auto error = connect_and_call(peer, run);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code(), ErrorCode::consent_timeout) << error->what();
  }
  EXPECT_EQ(run.authorizer->authorizations(), 0);
  const auto error = connect_and_call(peer, run);
  ASSERT_FALSE(error.has_value()) << error->what();
  EXPECT_EQ(run.authorizer->authorizations(), 1);
  EXPECT_EQ(run.consent->awaits.load(), 4);
}

// Item 22: Ctrl-C while waiting for consent is an interruption (exit 130),
// not a consent nobody completed.
TEST(OAuthNegative, CtrlCDuringConsentSaysInterruptedAndExits130) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  testing::InteractiveCommand login(cli({"login", peer.url(), "--no-browser"}));
  login.wait_for_stderr("Waiting for the authorization");
  login.send_signal(SIGINT);
  const auto r = login.finish(std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("mcpauth: interrupted"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("nobody completed"), std::string::npos) << r.err;
}

// Item 22: a client id the authorization server rejects at /authorize (an
// error page, no redirect) ends in the consent timeout, which then points at --client-id.
TEST(OAuthNegative, AConsentTimeoutPointsAtTheClientId) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto r = run_command(cli({"login", peer.url(), "--client-id", "not-registered-here", "--consent-timeout", "1"}),
                             {testing::follow_browser_env()}, std::chrono::seconds(20));
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE(r.exit_code, -1) << r.err;
  EXPECT_NE(r.err.find("nobody completed"), std::string::npos) << r.err;
  // The library's words stay neutral; the command's hint line names its option.
  const auto hint = r.err.find("\nmcpauth: hint: ");
  ASSERT_NE(hint, std::string::npos) << r.err;
  EXPECT_EQ(r.err.substr(0, hint).find("--client-id"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--client-id", hint), std::string::npos) << r.err;
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 1) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/token"), 0) << describe(log);

  // Item 20: the wrong id was never stored; the next login without it registers and works.
  const auto again = run_command(cli({"login", peer.url()}), {testing::follow_browser_env()}, std::chrono::seconds(20));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto after = request_log(peer);
  expect_registrations_and_tokens(after, 1, 1);
}

// Item 16: authorizations at one authorization server reuse the stored
// registration's loopback redirect (its port), so three logins (three
// accounts) make one registration.
TEST(OAuthNegative, ThreeLoginsMakeOneRegistration) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  for (const std::string account : {"first", "second", "third"}) {
    const auto r = run_command(cli({"login", peer.url(), "--account", account}), {testing::follow_browser_env()},
                               std::chrono::seconds(20));
    ASSERT_EQ(r.exit_code, 0) << account << ": " << r.err;
  }
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 3) << describe(log);
  EXPECT_EQ(count(log, "as", "POST", "/register"), 1) << describe(log);
}

// The loopback port of the redirect URI of the n-th /authorize request (0 when none).
int authorize_port(const std::vector<LoggedRequest>& log, int n) {
  static const std::regex port(R"(redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A([0-9]+)%2F)");
  for (const auto& entry : log) {
    if (entry.server != "as" || entry.path != "/authorize" || n-- > 0) continue;
    std::smatch m;
    return std::regex_search(entry.query, m, port) ? std::stoi(m[1].str()) : 0;
  }
  return 0;
}

// Item 16, when the stored registration's port is taken by another program:
// the login still works, on another port, with a registration for it.
TEST(OAuthNegative, ALoginWhoseRegisteredPortIsBusyUsesAnotherAndRegistersIt) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto first = run_command(cli({"login", peer.url(), "--account", "first"}), {testing::follow_browser_env()},
                                 std::chrono::seconds(20));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const int registered_port = authorize_port(request_log(peer), 0);
  ASSERT_GT(registered_port, 0) << describe(request_log(peer));

  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor busy(io);  // another program's listener (no SO_REUSEADDR)
  boost::system::error_code ec;
  busy.open(boost::asio::ip::tcp::v4(), ec);
  ASSERT_FALSE(ec) << ec.message();
  busy.bind({boost::asio::ip::address_v4::loopback(), static_cast<unsigned short>(registered_port)}, ec);
  ASSERT_FALSE(ec) << "port " << registered_port << ": " << ec.message();
  busy.listen(1, ec);
  ASSERT_FALSE(ec) << ec.message();

  const auto second = run_command(cli({"login", peer.url(), "--account", "second"}), {testing::follow_browser_env()},
                                  std::chrono::seconds(20));
  busy.close();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto log = request_log(peer);
  const int second_port = authorize_port(log, 1);
  EXPECT_GT(second_port, 0) << describe(log);
  EXPECT_NE(second_port, registered_port) << describe(log);
  expect_registrations_and_tokens(log, 2, 2);
}

// Item 27: a Client ID Metadata Document is published once and lists its
// redirect URIs; mcpauth's loopback redirect is the fixed
// http://127.0.0.1:<any port>/callback such a document can list.
TEST(OAuthNegative, AClientMetadataDocumentCanListTheRedirectUri) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "cimd-only"});
  const auto r = run_command(cli({"login", peer.url(), "--client-metadata-url", "https://vendor.example/mcpauth.json",
                                  "--consent-timeout", "10"}),
                             {testing::follow_browser_env()}, std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto log = request_log(peer);
  expect_registrations_and_tokens(log, 0, 1);
}

// mcp-remote's --callback-path: the redirect URI's path is the given one
// (this document lists only /callback, so another path is refused there).
TEST(OAuthNegative, CallbackPathSetsTheRedirectUriPath) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto r = run_command(cli({"login", peer.url(), "--callback-path", "/oauth/done"}),
                             {testing::follow_browser_env()}, std::chrono::seconds(20));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto log = request_log(peer);
  int with_path = 0;
  for (const auto& entry : log) {
    if (entry.server == "as" && entry.path == "/authorize" &&
        entry.query.find("redirect_uri=http%3A%2F%2F127.0.0.1%3A") != std::string::npos &&
        entry.query.find("%2Foauth%2Fdone") != std::string::npos) {
      ++with_path;
    }
  }
  EXPECT_EQ(with_path, 1) << describe(log);
}

// Item 25: `proxy --no-browser` never reads a paste from standard input (the
// host's JSON-RPC channel); without a controlling terminal it says so and
// points at `login --no-browser`.
TEST(OAuthNegative, ProxyNoBrowserWithoutATerminalNeverReadsAPasteFromStdin) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  // setsid: a new session, so no controlling terminal whatever runs the tests.
  testing::InteractiveCommand proxy(
      {"/usr/bin/setsid", "--wait", MCPAUTH_CLI_PATH, "proxy", peer.url(), "--no-browser"});
  proxy.write_stdin(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},)"
      R"("clientInfo":{"name":"test-host","version":"1"}}})"
      "\n");
  proxy.wait_for_stderr("no terminal to read the pasted address", std::chrono::seconds(20));
  EXPECT_NE(proxy.err().find("mcpauth login --no-browser"), std::string::npos) << proxy.err();
  proxy.close_stdin();
  const auto r = proxy.finish(std::chrono::seconds(20));
  EXPECT_EQ(r.err.find("paste here"), std::string::npos) << r.err;
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "GET", "/authorize"), 0) << describe(log);
}

// Item 20: `logout SERVER --all` forgets the client registration too, so a
// client that was wrong can be replaced; the next login registers afresh.
TEST(OAuthNegative, LogoutAllForgetsTheRegistration) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  const auto login = run_command(cli({"login", peer.url()}), {testing::follow_browser_env()}, std::chrono::seconds(20));
  ASSERT_EQ(login.exit_code, 0) << login.err;
  const auto logout = run_command(cli({"logout", peer.url(), "--all"}), {}, std::chrono::seconds(20));
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_NE(logout.out.find("Forgot the client registration at"), std::string::npos) << logout.out;
  const auto again = run_command(cli({"login", peer.url()}), {testing::follow_browser_env()}, std::chrono::seconds(20));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto log = request_log(peer);
  EXPECT_EQ(count(log, "as", "POST", "/register"), 2) << describe(log);
}

}  // namespace
}  // namespace mcpauth

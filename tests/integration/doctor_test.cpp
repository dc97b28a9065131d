// `mcpauth doctor` and `mcpauth reset` against real peers: one test per
// broken step (the words doctor prints for it, its exit code), the all-good
// case, and reset (login, reset, nothing stored, the revocation seen by the
// authorization server). evil-oauth-server.mjs serves the misconfigured
// metadata, oidc-server.mjs (oidc-provider) the revocation.
#include <gtest/gtest.h>

#include <filesystem>

#include "mcpauth/store/sqlite_token_store.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using mcp::Json;
using testing::cli;
using testing::CommandResult;
using testing::PeerProcess;
using testing::run_command;
using testing::test_home;

// Never a browser: doctor must not ask anybody.
const std::string kNoBrowser = "BROWSER=/bin/false";

CommandResult doctor(const PeerProcess& peer, std::initializer_list<std::string> extra = {},
                     const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = cli({"doctor", peer.url()});
  argv.insert(argv.end(), extra);
  std::vector<std::string> environment = env;
  environment.push_back(kNoBrowser);
  return run_command(argv, environment);
}

void login(const PeerProcess& peer) {
  const auto r = run_command(cli({"login", peer.url()}), {testing::follow_browser_env()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::shared_ptr<store::TokenStore> open_test_store() {
  store::SqliteStoreOptions options;
  options.path = fs::path(test_home()) / "data" / "mcpauth" / "tokens.db";
  options.use_keyring = false;
  return store::open_sqlite_token_store(options);
}

store::GrantRecord stored_grant(const PeerProcess& peer) {
  for (auto& grant : open_test_store()->list_grants()) {
    if (grant.key.resource == peer.url()) return grant;
  }
  ADD_FAILURE() << "no grant stored for " << peer.url();
  return {};
}

#define EXPECT_PRINTS(run, text) EXPECT_NE((run).out.find(text), std::string::npos) << (run).out << (run).err

// Runs doctor (as doctor() does), expects its exit code and each of `prints`
// in what it printed; returns the run for the test's other checks.
CommandResult expect_doctor(const PeerProcess& peer, int exit_code, std::initializer_list<std::string> prints,
                            std::initializer_list<std::string> extra = {}, const std::vector<std::string>& env = {}) {
  auto r = doctor(peer, extra, env);
  EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
  for (const auto& text : prints) EXPECT_PRINTS(r, text);
  return r;
}

TEST(Doctor, EverythingWorksAfterALogin) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  login(peer);
  const auto r = expect_doctor(
      peer, 0,
      {"ok    reach", "ok    transport", "ok    challenge", "ok    resource_metadata", "ok    authorization_server",
       "ok    pkce", "ok    registration", "ok    store", "ok    grant", "ok    connect",
       "Protected Resource Metadata found at " + peer.url("/.well-known/oauth-protected-resource/mcp"),
       "HTTP 401 with a Bearer challenge", "PKCE S256 is advertised", "a dynamic client is stored for",
       "connected: 1 tool listed", "protocol revision 2025-11-25",
       "Next: `mcpauth tools " + peer.url() + "` lists its tools"});
  EXPECT_EQ(r.out.find("fail  "), std::string::npos) << r.out;

  // Never a secret: neither the token nor a prefix of it.
  const auto grant = stored_grant(peer);
  ASSERT_GT(grant.tokens.access_token.size(), 12u);
  EXPECT_EQ(r.out.find(grant.tokens.access_token.substr(0, 12)), std::string::npos);
  EXPECT_EQ(r.err.find(grant.tokens.access_token.substr(0, 12)), std::string::npos);

  // --json: the same steps, structured.
  const auto j = doctor(peer, {"--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const Json doc = Json::parse(j.out);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["url"], peer.url());
  ASSERT_EQ(doc["steps"].size(), 10u) << doc.dump(2);
  for (const auto& step : doc["steps"]) EXPECT_EQ(step["status"], "ok") << step.dump();
  EXPECT_EQ(doc["steps"][0]["id"], "reach");
  EXPECT_EQ(doc["steps"][9]["id"], "connect");
}

TEST(Doctor, BeforeALoginItSaysToLogIn) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  expect_doctor(peer, 0,
                {"ok    registration          mcpauth registers itself at the first login", "warn  grant",
                 "not logged in yet", "Next: `mcpauth login " + peer.url() + "` authorizes"});
  EXPECT_FALSE(fs::exists(fs::path(test_home()) / "data" / "mcpauth" / "tokens.db")) << "doctor created the store";
}

TEST(Doctor, NoProtectedResourceMetadata) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "no-prm"});
  const auto r =
      expect_doctor(peer, 6,
                    {"ok    challenge", "no resource_metadata: the well-known URLs are tried",
                     "fail  resource_metadata", "no Protected Resource Metadata and no authorization server metadata",
                     peer.url("/.well-known/oauth-protected-resource/mcp") + ": HTTP 404",
                     "Next: if you have a token for it, pass it with a header"});
  EXPECT_EQ(r.out.find("authorization_server"), std::string::npos) << "no step after the broken one:\n" << r.out;
}

TEST(Doctor, IssuerMismatch) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "issuer-mismatch"});
  const auto r = expect_doctor(peer, 6,
                               {"ok    resource_metadata", "fail  authorization_server", "/someone-else\" but \"",
                                "was expected; refusing it (possible mix-up attack)"});
  EXPECT_EQ(r.out.find("  pkce"), std::string::npos) << r.out;
}

TEST(Doctor, NoPkceS256) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "no-s256"});
  expect_doctor(peer, 6,
                {"ok    authorization_server", "fail  pkce", "does not advertise PKCE with S256",
                 "code_challenge_methods_supported: [plain]"});
}

TEST(Doctor, NoRegistrationEndpointAndNoClientId) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "no-registration"});
  expect_doctor(
      peer, 6,
      {"fail  registration", "no registration_endpoint, no client ID metadata documents, and no client id configured",
       "Next: register a client with the authorization server, then `mcpauth login " + peer.url() +
           " --client-id ID`"});

  expect_doctor(peer, 0, {"ok    registration          a pre-registered client id is configured"},
                {"--client-id", "pre-registered"});
}

TEST(Doctor, ARevokedRefreshTokenInTheStore) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "refresh-revoked"});
  login(peer);
  {
    // The access token expires (written as the Authorizer would find it after an hour).
    auto store = open_test_store();
    auto grant = stored_grant(peer);
    ASSERT_TRUE(grant.tokens.refresh_token);
    grant.tokens.expires_at = store::Clock::now() - std::chrono::minutes(5);
    grant.tokens.issued_at = store::Clock::now() - std::chrono::minutes(65);
    store->save_tokens(grant.key, grant.tokens);
  }
  expect_doctor(peer, 6,
                {"warn  grant", "the stored access token expired; its refresh token will be tried", "fail  connect",
                 "the authorization server refused the stored refresh token (it expired or was revoked)",
                 "Next: `mcpauth login " + peer.url() + "` authorizes again"});

  // The refresh was really tried, and no authorization was started.
  const Json log = testing::get_json(peer.url("/__log"));
  int refreshes = 0;
  int authorizations = 0;
  for (const auto& entry : log) {
    if (entry["path"] == "/token" && entry.value("grant_type", Json()) == "refresh_token") ++refreshes;
    if (entry["path"] == "/authorize") ++authorizations;
  }
  EXPECT_EQ(refreshes, 1) << log.dump();
  EXPECT_EQ(authorizations, 1) << "only the login's: " << log.dump();
}

TEST(Doctor, AWrongStoreKeyInMcpauthKey) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "good"});
  login(peer);
  const std::string other_key = "MCPAUTH_KEY=" + std::string(64, 'a');
  // "ok    registration": the server's part was checked all the same.
  const auto r = expect_doctor(peer, 7,
                               {"fail  store", "cannot be opened with the key from MCPAUTH_KEY",
                                "Next: set MCPAUTH_KEY to the key that encrypted", "ok    registration"},
                               {}, {other_key});
  EXPECT_EQ(r.out.find(std::string(64, 'a')), std::string::npos) << "the key is never printed";
}

TEST(Doctor, AServerThatNeedsNoAuthorization) {
  PeerProcess peer("streamable-server.mjs");
  const auto r = doctor(peer, {"--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json doc = Json::parse(r.out);
  std::vector<std::string> ids;
  for (const auto& step : doc["steps"]) ids.push_back(step["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"reach", "transport", "challenge", "store", "connect"})) << doc.dump(2);
  EXPECT_NE(doc["steps"][2]["summary"].get<std::string>().find("no authorization is needed"), std::string::npos);
}

// A static token given with -H: checked, never printed.
TEST(Doctor, AStaticAuthorizationHeader) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer static-secret-123"});
  const auto good =
      expect_doctor(peer, 0, {"ok    challenge             the server accepts the headers given", "ok    connect"},
                    {"-H", "Authorization: Bearer ${TOKEN}"}, {"TOKEN=static-secret-123"});
  const auto bad = expect_doctor(
      peer, 6, {"fail  challenge             the server refuses the Authorization header given (HTTP 401)"},
      {"-H", "Authorization: Bearer ${TOKEN}"}, {"TOKEN=static-secret-456"});
  for (const auto* run : {&good, &bad}) {
    EXPECT_EQ(run->out.find("static-secret"), std::string::npos) << run->out;
    EXPECT_EQ(run->err.find("static-secret"), std::string::npos) << run->err;
  }
}

// The 2026-07-28 revision: the era the session agreed on is named.
TEST(Doctor, AModernServerIsNamedByItsRevision) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  expect_doctor(peer, 0, {"protocol revision 2026-07-28 (server/discover, no initialize)"});
}

TEST(Doctor, AnUnreachableServer) {
  const auto r = run_command(cli({"doctor", "http://127.0.0.1:1/mcp"}), {kNoBrowser});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_PRINTS(r, "fail  reach");
  EXPECT_PRINTS(r, "ok    store");
}

bool revoked(const PeerProcess& peer) {
  for (const auto& r : testing::as_requests(peer)) {
    if (r["path"] == "/oidc/token/revocation" && r["status"] == 200) return true;
  }
  return false;
}

TEST(Reset, RevokesAndForgetsEverythingOfOneServer) {
  PeerProcess peer("oidc-server.mjs");
  const auto in = run_command(cli({"login", peer.url()}), {"BROWSER=" + testing::browser()});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  ASSERT_EQ(open_test_store()->list_clients().size(), 1u);

  const auto r = run_command(cli({"reset", peer.url()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_PRINTS(r, "Logged out of " + peer.url() + ": revoked at");
  EXPECT_PRINTS(r, "Forgot the discovery of " + peer.url());
  EXPECT_PRINTS(r, "Forgot the client registration at");
  EXPECT_TRUE(revoked(peer)) << testing::describe(testing::as_requests(peer));

  auto store = open_test_store();
  EXPECT_TRUE(store->list_grants().empty());
  EXPECT_TRUE(store->list_clients().empty());
  EXPECT_FALSE(store->load_discovery(peer.url()));
  const auto status = run_command(cli({"status", peer.url(), "--json"}));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const Json rows = Json::parse(status.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["state"], "needs authorization");
  EXPECT_EQ(rows[0]["issuer"], "") << "the discovery is forgotten too";

  const auto again = run_command(cli({"reset", peer.url()}));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_PRINTS(again, "No discovery is stored for " + peer.url());
}

TEST(Reset, OneAccountKeepsTheServersDiscoveryForTheOthers) {
  PeerProcess peer("oidc-server.mjs");
  ASSERT_EQ(run_command(cli({"login", peer.url()}), {"BROWSER=" + testing::browser()}).exit_code, 0);
  ASSERT_EQ(
      run_command(cli({"login", peer.url(), "--account", "work"}), {"BROWSER=" + testing::browser("--login worker")})
          .exit_code,
      0);

  const auto r = run_command(cli({"reset", peer.url(), "--account", "work"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_PRINTS(r, "Logged out of " + peer.url() + " (account work): revoked at");
  EXPECT_PRINTS(r, "Kept the discovery of " + peer.url() + ": other accounts still hold grants there.");
  auto store = open_test_store();
  ASSERT_EQ(store->list_grants().size(), 1u);
  EXPECT_EQ(store->list_grants()[0].key.account, "");
  EXPECT_TRUE(store->load_discovery(peer.url()));
  EXPECT_FALSE(store->list_clients().empty());
}

}  // namespace
}  // namespace mcpauth

// `mcpauth doctor`'s verdicts (app/doctor_steps): facts in, steps out.
#include "doctor_steps.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "exit_codes.hpp"
#include "mcpauth/core/oauth/metadata.hpp"

namespace mcpauth::app::doctor {
namespace {

constexpr const char* kUrl = "https://mcp.example.com/mcp";
constexpr const char* kPrmUrl = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
constexpr const char* kIssuer = "https://auth.example.com";

core::oauth::Discovery good_discovery() {
  core::oauth::Discovery d;
  d.prm = core::oauth::parse_protected_resource_metadata(
      R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"]})", kPrmUrl);
  d.prm_url = kPrmUrl;
  d.as = core::oauth::parse_authorization_server_metadata(
      R"({"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/authorize",
          "token_endpoint":"https://auth.example.com/token","registration_endpoint":"https://auth.example.com/register",
          "response_types_supported":["code"],"code_challenge_methods_supported":["S256"]})",
      "https://auth.example.com/.well-known/oauth-authorization-server", std::string(kIssuer));
  d.as_url = "https://auth.example.com/.well-known/oauth-authorization-server";
  d.resource = kUrl;
  return d;
}

// An OAuth server that answered 401, discovery found everything, nothing stored yet.
Facts oauth_facts() {
  Facts f;
  f.target = kUrl;
  f.url = kUrl;
  auth::ProbeResult probe;
  probe.needs = auth::ProbeResult::Needs::oauth;
  probe.status = 401;
  f.probe = probe;
  f.refusal_status = 401;
  core::oauth::AuthChallenge challenge;
  challenge.bearer = true;
  challenge.resource_metadata = kPrmUrl;
  f.challenge = challenge;
  f.discovery_ran = true;
  f.resource_metadata_fetches = {{kPrmUrl, 200, ""}};
  f.server_metadata_fetches = {{"https://auth.example.com/.well-known/oauth-authorization-server", 200, ""}};
  f.discovery = good_discovery();
  f.store = {"/home/u/.local/share/mcpauth/tokens.db", "/home/u/.local/share/mcpauth/tokens.db.key", true, {}};
  return f;
}

GrantFacts valid_grant() {
  GrantFacts g;
  g.issuer = kIssuer;
  g.state = core::oauth::GrantState::valid;
  g.expires_in_seconds = 3000;
  g.refreshable = true;
  g.scope = "mcp:tools";
  g.client_id = "client-1";
  return g;
}

const Step* find(const Report& report, const std::string& id) {
  const auto it = std::find_if(report.steps.begin(), report.steps.end(), [&](const Step& s) { return s.id == id; });
  return it == report.steps.end() ? nullptr : &*it;
}

std::vector<std::string> ids(const Report& report) {
  std::vector<std::string> out;
  for (const auto& s : report.steps) out.push_back(s.id);
  return out;
}

TEST(DoctorSteps, EverythingWorks) {
  Facts f = oauth_facts();
  f.grant = valid_grant();
  f.client = ClientFacts{"client-1", core::oauth::ClientKind::dynamic};
  f.connect = ConnectFacts{std::nullopt, "2025-11-25", "streamable-http", 3, false};
  const Report r = judge(f);
  const std::vector<std::string> expected = {
      "reach", "transport", "challenge", "resource_metadata", "authorization_server", "pkce", "registration",
      "store", "grant",     "connect"};
  EXPECT_EQ(ids(r), expected);
  for (const auto& s : r.steps) EXPECT_EQ(s.verdict, Verdict::ok) << s.id << ": " << s.summary;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.next, "`mcpauth tools https://mcp.example.com/mcp` lists its tools");
  EXPECT_NE(find(r, "transport")->summary.find("Streamable HTTP"), std::string::npos);
  EXPECT_NE(find(r, "resource_metadata")->summary.find(kPrmUrl), std::string::npos);
  EXPECT_NE(find(r, "connect")->summary.find("3 tools"), std::string::npos);
}

TEST(DoctorSteps, AnUnreachableServerStopsTheServerStepsButTheStoreIsStillChecked) {
  Facts f = oauth_facts();
  f.probe.reset();
  f.discovery_ran = false;
  f.probe_error = Error(ErrorCode::connection, "cannot connect to https://mcp.example.com/mcp: Could not resolve host");
  const Report r = judge(f);
  EXPECT_EQ(ids(r), (std::vector<std::string>{"reach", "store"}));
  EXPECT_EQ(find(r, "reach")->verdict, Verdict::fail);
  EXPECT_NE(find(r, "reach")->summary.find("Could not resolve host"), std::string::npos);
  EXPECT_EQ(r.exit_code, kExitConnection);
}

TEST(DoctorSteps, NotAnMcpEndpointIsATransportFailure) {
  Facts f = oauth_facts();
  f.probe.reset();
  f.probe_error = Error(ErrorCode::http_status, "GET https://mcp.example.com/ answered HTTP 404");
  const Report r = judge(f);
  EXPECT_EQ(find(r, "reach")->verdict, Verdict::ok);
  EXPECT_EQ(find(r, "transport")->verdict, Verdict::fail);
  EXPECT_EQ(r.exit_code, kExitProtocol);
  EXPECT_NE(r.next.find("MCP endpoint"), std::string::npos);
}

TEST(DoctorSteps, NoMetadataAtAllFailsAtTheResourceMetadata) {
  Facts f = oauth_facts();
  f.challenge->resource_metadata.reset();
  f.discovery->prm.reset();
  f.discovery->as = core::oauth::default_authorization_server_metadata(kUrl);
  f.resource_metadata_fetches = {{kPrmUrl, 404, ""},
                                 {"https://mcp.example.com/.well-known/oauth-protected-resource", 404, ""}};
  f.server_metadata_fetches = {{"https://mcp.example.com/.well-known/oauth-authorization-server", 404, ""}};
  const Report r = judge(f);
  const Step* prm = find(r, "resource_metadata");
  ASSERT_NE(prm, nullptr);
  EXPECT_EQ(prm->verdict, Verdict::fail);
  EXPECT_NE(prm->summary.find("publishes no OAuth metadata"), std::string::npos);
  EXPECT_EQ(prm->details.size(), 3u);
  EXPECT_EQ(find(r, "authorization_server"), nullptr) << "nothing after a broken discovery";
  EXPECT_EQ(r.exit_code, kExitAuthorization);
  EXPECT_NE(r.next.find("Authorization: Bearer"), std::string::npos);
}

TEST(DoctorSteps, A2025ServerWithoutPrmIsAWarning) {
  Facts f = oauth_facts();
  f.discovery->prm.reset();
  f.resource_metadata_fetches = {{kPrmUrl, 404, ""}};
  const Report r = judge(f);
  EXPECT_EQ(find(r, "resource_metadata")->verdict, Verdict::warn);
  EXPECT_EQ(find(r, "authorization_server")->verdict, Verdict::ok);
  EXPECT_NE(find(r, "authorization_server")->details[0].find("the server's origin"), std::string::npos);
}

TEST(DoctorSteps, AnIssuerMismatchFailsTheAuthorizationServerAndKeepsThePrmStep) {
  Facts f = oauth_facts();
  f.discovery.reset();
  f.discovery_error = Error(ErrorCode::issuer_mismatch,
                            "the authorization server metadata at X names the issuer \"https://evil\" but "
                            "\"https://auth.example.com\" was expected; refusing it (possible mix-up attack)");
  const Report r = judge(f);
  EXPECT_EQ(find(r, "resource_metadata")->verdict, Verdict::ok);
  EXPECT_NE(find(r, "resource_metadata")->summary.find(kPrmUrl), std::string::npos);
  const Step* as = find(r, "authorization_server");
  ASSERT_NE(as, nullptr);
  EXPECT_EQ(as->verdict, Verdict::fail);
  EXPECT_NE(as->summary.find("was expected"), std::string::npos);
  EXPECT_EQ(find(r, "pkce"), nullptr);
  EXPECT_EQ(r.exit_code, kExitAuthorization);
}

TEST(DoctorSteps, AResourceMismatchFailsThePrmStep) {
  Facts f = oauth_facts();
  f.discovery.reset();
  f.server_metadata_fetches.clear();
  f.discovery_error = Error(ErrorCode::resource_mismatch, "the protected resource metadata describes another resource");
  const Report r = judge(f);
  EXPECT_EQ(find(r, "resource_metadata")->verdict, Verdict::fail);
  EXPECT_EQ(find(r, "authorization_server"), nullptr);
}

TEST(DoctorSteps, NoPkceS256) {
  Facts f = oauth_facts();
  f.discovery->as.code_challenge_methods_supported = std::vector<std::string>{"plain"};
  const Report r = judge(f);
  const Step* pkce = find(r, "pkce");
  ASSERT_NE(pkce, nullptr);
  EXPECT_EQ(pkce->verdict, Verdict::fail);
  EXPECT_NE(pkce->summary.find("does not advertise PKCE with S256"), std::string::npos);
  EXPECT_EQ(pkce->details.at(0), "code_challenge_methods_supported: [plain]");
  EXPECT_EQ(r.exit_code, kExitAuthorization);
}

TEST(DoctorSteps, RegistrationOptions) {
  Facts f = oauth_facts();
  f.discovery->as.registration_endpoint.reset();
  Report r = judge(f);
  EXPECT_EQ(find(r, "registration")->verdict, Verdict::fail);
  EXPECT_EQ(r.next,
            "register a client with the authorization server, then `mcpauth login https://mcp.example.com/mcp "
            "--client-id ID`");

  f.client_id_configured = true;
  r = judge(f);
  EXPECT_EQ(find(r, "registration")->verdict, Verdict::ok);

  f.client_id_configured = false;
  f.discovery->as.client_id_metadata_document_supported = true;
  r = judge(f);
  EXPECT_EQ(find(r, "registration")->verdict, Verdict::fail);
  EXPECT_NE(r.next.find("--client-metadata-url"), std::string::npos);
  f.client_metadata_url_configured = true;
  EXPECT_EQ(find(judge(f), "registration")->verdict, Verdict::ok);

  f.client_metadata_url_configured = false;
  f.client = ClientFacts{"pre-1", core::oauth::ClientKind::pre_registered};
  r = judge(f);
  EXPECT_EQ(find(r, "registration")->verdict, Verdict::ok);
  EXPECT_NE(find(r, "registration")->summary.find("pre_registered client is stored"), std::string::npos);
}

TEST(DoctorSteps, NotLoggedInIsAWarningWithTheLoginCommand) {
  Facts f = oauth_facts();
  f.target = "docs";
  f.account = "work";
  const Report r = judge(f);
  EXPECT_EQ(find(r, "grant")->verdict, Verdict::warn);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.next, "`mcpauth login docs --account work` authorizes (a browser opens)");
}

TEST(DoctorSteps, ARefusedRefreshTokenSaysSo) {
  Facts f = oauth_facts();
  f.grant = valid_grant();
  f.grant->state = core::oauth::GrantState::expired_refreshable;
  f.grant->expires_in_seconds = -60;
  ConnectFacts c;
  c.error = Error(ErrorCode::authorization_required, "authorization is needed");
  c.grant_removed = true;
  f.connect = c;
  const Report r = judge(f);
  EXPECT_EQ(find(r, "grant")->verdict, Verdict::warn);
  const Step* connect = find(r, "connect");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->verdict, Verdict::fail);
  EXPECT_NE(connect->summary.find("refused the stored refresh token"), std::string::npos);
  EXPECT_EQ(r.exit_code, kExitAuthorization);
  EXPECT_EQ(r.next, "`mcpauth login https://mcp.example.com/mcp` authorizes again");
}

TEST(DoctorSteps, AnExpiredGrantWithoutRefreshToken) {
  Facts f = oauth_facts();
  f.grant = valid_grant();
  f.grant->state = core::oauth::GrantState::expired;
  f.grant->refreshable = false;
  const Report r = judge(f);
  EXPECT_EQ(find(r, "grant")->verdict, Verdict::fail);
  EXPECT_NE(find(r, "grant")->summary.find("no refresh token"), std::string::npos);
}

TEST(DoctorSteps, AGrantThatCannotBeReadIsAStoreFailureWithReset) {
  Facts f = oauth_facts();
  f.grant = valid_grant();
  f.grant->error = "the row cannot be decrypted";
  const Report r = judge(f);
  EXPECT_EQ(find(r, "grant")->verdict, Verdict::fail);
  EXPECT_EQ(r.exit_code, kExitStore);
  EXPECT_EQ(r.next,
            "`mcpauth reset https://mcp.example.com/mcp` forgets it, then `mcpauth login https://mcp.example.com/mcp`");
}

TEST(DoctorSteps, OpenIdMetadataIsNamedAsSuch) {
  Facts f = oauth_facts();
  f.discovery->as_url = "https://auth.example.com/.well-known/openid-configuration";
  EXPECT_NE(find(judge(f), "authorization_server")->summary.find("(OpenID Connect Discovery)"), std::string::npos);
}

TEST(DoctorSteps, AWrongStoreKeyFromTheEnvironment) {
  Facts f = oauth_facts();
  f.store.key_source = "MCPAUTH_KEY";
  f.store.error = Error(ErrorCode::store,
                        "the token store /x/tokens.db cannot be opened with the key from MCPAUTH_KEY (another key "
                        "encrypted it: was MCPAUTH_KEY changed or the key file replaced?); it was left as it is");
  const Report r = judge(f);
  EXPECT_EQ(find(r, "store")->verdict, Verdict::fail);
  EXPECT_EQ(find(r, "grant"), nullptr) << "no grant can be read";
  EXPECT_EQ(r.exit_code, kExitStore);
  EXPECT_NE(r.next.find("set MCPAUTH_KEY to the key that encrypted"), std::string::npos);
  // The server's steps were still checked.
  EXPECT_EQ(find(r, "registration")->verdict, Verdict::ok);
}

TEST(DoctorSteps, AServerWithoutAuthorization) {
  Facts f;
  f.target = f.url = kUrl;
  auth::ProbeResult probe;
  probe.needs = auth::ProbeResult::Needs::nothing;
  probe.transport = "sse";
  probe.status = 200;
  f.probe = probe;
  f.store = {"/x/tokens.db", "the desktop keyring", false, {}};
  f.connect = ConnectFacts{std::nullopt, "2024-11-05", "sse", 1, false};
  const Report r = judge(f);
  EXPECT_EQ(ids(r), (std::vector<std::string>{"reach", "transport", "challenge", "store", "connect"}));
  EXPECT_NE(find(r, "challenge")->summary.find("no authorization is needed"), std::string::npos);
  EXPECT_NE(find(r, "transport")->summary.find("legacy"), std::string::npos);
  EXPECT_NE(find(r, "store")->summary.find("no token store yet"), std::string::npos);
  EXPECT_NE(find(r, "connect")->summary.find("1 tool listed"), std::string::npos);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(DoctorSteps, AStaticTokenIsJudgedAsTheUsersHeaderNotAsAGrant) {
  Facts f = oauth_facts();
  f.oauth = false;
  f.static_authorization = true;
  f.discovery_ran = false;
  f.refusal_status = 0;
  f.probe->needs = auth::ProbeResult::Needs::nothing;
  f.probe->status = 200;
  ConnectFacts c;
  c.error = Error(ErrorCode::unauthorized, "HTTP 401 from https://mcp.example.com/mcp");
  f.connect = c;
  const Report r = judge(f);
  EXPECT_EQ(ids(r), (std::vector<std::string>{"reach", "transport", "challenge", "store", "connect"}));
  EXPECT_EQ(find(r, "challenge")->summary, "the server accepts the headers given");
  EXPECT_NE(find(r, "connect")->summary.find("refuses the Authorization header given"), std::string::npos);
  EXPECT_EQ(r.next, "check the token given with -H (expired, or for another server)");
}

TEST(DoctorSteps, AForbiddenServer) {
  Facts f = oauth_facts();
  f.refusal_status = 403;
  f.probe->needs = auth::ProbeResult::Needs::forbidden;
  f.discovery_ran = false;
  const Report r = judge(f);
  EXPECT_EQ(find(r, "challenge")->verdict, Verdict::fail);
  EXPECT_EQ(find(r, "resource_metadata"), nullptr);
  EXPECT_EQ(r.exit_code, kExitAuthorization);
}

}  // namespace
}  // namespace mcpauth::app::doctor

// What the debug log may show (core/redact, core/oauth/flow_log): URLs,
// forms and JSON bodies with every secret left out, and one line per action
// of a whole authorization that names each step and no secret.
#include "mcpauth_internal/core/redact.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcpauth/core/oauth/authorization_flow.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/core/flow_log.hpp"

namespace mcpauth::core {
namespace {

using namespace std::chrono_literals;

// An error message names the server by its URL as written; what the
// commands print (and the gateway shows) of it is redacted like a log line.
TEST(RedactUrlsIn, EveryUrlInAMessageIsRedactedAndTheSentenceKept) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"POST https://mcp.example/mcp?key=s3cret failed: cannot connect",
       "POST https://mcp.example/mcp?key=[redacted] failed: cannot connect"},
      {"the server at https://mcp.example/mcp?api_key=s3cret.",
       "the server at https://mcp.example/mcp?api_key=[redacted]."},
      {"(see HTTPS://u:pw@as.example/x?token=t1), then http://h/p?scope=a&k=v; done",
       "(see HTTPS://[redacted]@as.example/x?token=[redacted]), then http://h/p?scope=a&k=[redacted]; done"},
      {"\"https://h/p?code=c\" and <http://h/q?state=s>",
       "\"https://h/p?code=[redacted]\" and <http://h/q?state=[redacted]>"},
      {"no URL here, nor in httpx://h/p?k=v", "no URL here, nor in httpx://h/p?k=v"},
      {"https://h/p at the end", "https://h/p at the end"},
      {"ends with http://", "ends with http://"},
      {"", ""},
  };
  for (const auto& [in, out] : vectors) EXPECT_EQ(redact_urls_in(in), out) << in;
}

TEST(RedactUrl, QueryValuesAreShownOnlyForHarmlessNames) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"https://as.example/token", "https://as.example/token"},
      {"https://as.example/cb?code=abc&state=xyz&iss=https%3A%2F%2Fas.example",
       "https://as.example/cb?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fas.example"},
      {"https://as.example/authorize?response_type=code&client_id=c1&code_challenge=ch&code_challenge_method=S256"
       "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcallback&scope=a+b&resource=https%3A%2F%2Fm",
       "https://as.example/authorize?response_type=code&client_id=c1&code_challenge=[redacted]"
       "&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcallback&scope=a+b"
       "&resource=https%3A%2F%2Fm"},
      // Every credential the protocols carry, and a server's own API key.
      {"https://x/p?code_verifier=v&client_secret=s&refresh_token=r&access_token=a&assertion=j&client_assertion=k"
       "&subject_token=t&device_code=d&password=p&api_key=z",
       "https://x/p?code_verifier=[redacted]&client_secret=[redacted]&refresh_token=[redacted]"
       "&access_token=[redacted]&assertion=[redacted]&client_assertion=[redacted]&subject_token=[redacted]"
       "&device_code=[redacted]&password=[redacted]&api_key=[redacted]"},
      // A bare item may be the secret itself; an empty one stays empty.
      {"https://x/p?sk-live-123&&scope=s", "https://x/p?[redacted]&&scope=s"},
      {"https://x/p?", "https://x/p?"},
      // A name that only decodes to a harmless one is not trusted.
      {"https://x/p?sc%6Fpe=s", "https://x/p?sc%6Fpe=[redacted]"},
      {"https://x/p#access_token=a", "https://x/p#[redacted]"},
      {"https://x/p?scope=s#frag", "https://x/p?scope=s#[redacted]"},
      {"https://user:pa55@x.example:8443/p?scope=s", "https://[redacted]@x.example:8443/p?scope=s"},
      {"https://token@x.example/p", "https://[redacted]@x.example/p"},
      {"https://x.example/p@q", "https://x.example/p@q"},  // an @ in the path is no userinfo
      {"", ""},
  };
  for (const auto& [url, expected] : vectors) EXPECT_EQ(redact_url(url), expected) << url;
}

TEST(DescribeForm, NamesEveryFieldAndShowsOnlyHarmlessValues) {
  EXPECT_EQ(describe_form("grant_type=authorization_code&code=c0de&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcb"
                          "&code_verifier=v3r&client_id=c1&client_secret=s3c&resource=https%3A%2F%2Fm"),
            "form{grant_type=authorization_code code=[redacted] redirect_uri=http://127.0.0.1:5/cb "
            "code_verifier=[redacted] client_id=c1 client_secret=[redacted] resource=https://m}");
  EXPECT_EQ(describe_form("grant_type=refresh_token&refresh_token=r1&scope=a+b"),
            "form{grant_type=refresh_token refresh_token=[redacted] scope=a b}");
  EXPECT_EQ(describe_form("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJx"
                          "&client_assertion_type=t&client_assertion=eyJy"),
            "form{grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer assertion=[redacted] "
            "client_assertion_type=t client_assertion=[redacted]}");
  EXPECT_EQ(describe_form("token=t0k&token_type_hint=refresh_token"),
            "form{token=[redacted] token_type_hint=refresh_token}");
  EXPECT_EQ(describe_form(""), "form{}");
  std::string too_many;
  for (int i = 0; i < 101; ++i) too_many += "a=1&";  // parse_form's bound is 100 fields
  EXPECT_EQ(describe_form(too_many), "form (not readable)");
}

TEST(DescribeJson, NamesTopLevelMembersAndShowsOnlyHarmlessScalars) {
  EXPECT_EQ(describe_json(R"({"access_token":"at-secret","token_type":"Bearer","expires_in":3600,)"
                          R"("refresh_token":"rt-secret","scope":"read write","id_token":"eyJ"})"),
            "json{access_token token_type=Bearer expires_in=3600 refresh_token scope=read write id_token}");
  EXPECT_EQ(describe_json(R"({"client_id":"c1","client_secret":"s3c","registration_access_token":"r",)"
                          R"("redirect_uris":["http://127.0.0.1:5/cb"],"token_endpoint_auth_method":"none"})"),
            "json{client_id=c1 client_secret registration_access_token redirect_uris=[http://127.0.0.1:5/cb] "
            "token_endpoint_auth_method=none}");
  EXPECT_EQ(describe_json(R"({"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"https://as/device",)"
                          R"("verification_uri_complete":"https://as/device?user_code=ABCD-EFGH","interval":5})"),
            "json{device_code user_code verification_uri=https://as/device verification_uri_complete interval=5}");
  EXPECT_EQ(describe_json(R"({"error":"invalid_grant","error_description":"grant request is invalid"})"),
            "json{error=invalid_grant error_description=grant request is invalid}");
  // JSON-RPC: the envelope, never the params or the result.
  EXPECT_EQ(describe_json(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"k":"v"}}})"),
            "json{jsonrpc=2.0 id=1 method=tools/call params}");
  // A harmless name with a nested value: the name only.
  EXPECT_EQ(describe_json(R"({"scope":{"access_token":"x"},"error":[{"a":1}]})"), "json{scope error}");
  EXPECT_EQ(describe_json("[1,2,3]"), "json[3]");
  EXPECT_EQ(describe_json("not json"), "");
  EXPECT_EQ(describe_json(R"({"error":"a\u001b[2Jb"})"), "json{error=a\\x1b[2Jb}");  // printable
}

}  // namespace

namespace oauth {
namespace {

using namespace std::chrono_literals;

constexpr const char* kServer = "https://mcp.example/mcp";
constexpr const char* kIssuer = "https://as.example";
const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'900'000'000));

class FixedRandom final : public RandomSource {
 public:
  std::string token() override { return "state-secret-value"; }
  std::array<std::uint8_t, 32> bytes() override {
    std::array<std::uint8_t, 32> b{};
    b.fill(7);  // the verifier: base64url of 32 bytes of 0x07, "BwcH..."
    return b;
  }
};

HttpAnswer json_answer(const Json& body, int status = 200) {
  return {status, {{"Content-Type", "application/json"}}, body.dump()};
}

// Runs a whole authorization code flow with dynamic registration (a client
// secret issued), answering each action, and returns the log line of each.
std::vector<std::string> logged_authorization() {
  FlowSettings settings;
  settings.discovery.server_url = kServer;
  settings.software_version = "test";
  FixedRandom random;
  AuthorizationFlow flow(settings, AuthChallenge{}, std::nullopt, kNow, random);
  std::vector<std::string> lines;
  for (int step = 0; step < 30; ++step) {
    const FlowAction& action = flow.next();
    lines.push_back(log_line(flow.state(), action));
    if (std::holds_alternative<Done>(action) || std::holds_alternative<Failed>(action)) break;
    if (const auto* fetch = std::get_if<FetchMetadata>(&action)) {
      if (fetch->url == "https://mcp.example/.well-known/oauth-protected-resource/mcp") {
        flow.on_answer(json_answer({{"resource", kServer}, {"authorization_servers", {kIssuer}}}), kNow);
      } else if (fetch->url == "https://as.example/.well-known/oauth-authorization-server") {
        flow.on_answer(json_answer({{"issuer", kIssuer},
                                    {"authorization_endpoint", "https://as.example/authorize"},
                                    {"token_endpoint", "https://as.example/token"},
                                    {"registration_endpoint", "https://as.example/register"},
                                    {"code_challenge_methods_supported", {"S256"}}}),
                       kNow);
      } else {
        flow.on_answer({404, {}, ""}, kNow);
      }
    } else if (std::holds_alternative<Discovered>(action)) {
      flow.on_discovered(std::nullopt, false);
    } else if (std::holds_alternative<OpenConsent>(action)) {
      flow.on_consent_opened("http://127.0.0.1:8765/callback");
    } else if (const auto* post = std::get_if<Post>(&action)) {
      if (post->kind == PostKind::registration) {
        flow.on_answer(json_answer({{"client_id", "client-1"},
                                    {"client_secret", "client-secret-value"},
                                    {"token_endpoint_auth_method", "client_secret_post"},
                                    {"redirect_uris", {"http://127.0.0.1:8765/callback"}}},
                                   201),
                       kNow);
      } else {
        flow.on_answer(json_answer({{"access_token", "access-secret-value"},
                                    {"token_type", "Bearer"},
                                    {"expires_in", 3600},
                                    {"refresh_token", "refresh-secret-value"},
                                    {"scope", "read"}}),
                       kNow);
      }
    } else if (const auto* ask = std::get_if<AskUser>(&action)) {
      flow.on_callback({{"code", "code-secret-value"}, {"state", ask->state}, {"iss", kIssuer}}, kNow);
    } else {
      flow.acknowledge();
    }
  }
  return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

TEST(FlowLog, AWholeAuthorizationNamesEachStepAndNoSecret) {
  const auto lines = logged_authorization();
  const std::string all = joined(lines);
  EXPECT_TRUE(has_line(lines,
                       "discovery: protected resource metadata at "
                       "https://mcp.example/.well-known/oauth-protected-resource/mcp (a well-known location)"))
      << all;
  EXPECT_TRUE(has_line(lines,
                       "discovery: authorization server metadata at "
                       "https://as.example/.well-known/oauth-authorization-server"))
      << all;
  EXPECT_TRUE(has_line(lines,
                       "discovery: resource https://mcp.example/mcp (metadata at "
                       "https://mcp.example/.well-known/oauth-protected-resource/mcp), authorization server "
                       "https://as.example (metadata at "
                       "https://as.example/.well-known/oauth-authorization-server), registration offered"))
      << all;
  EXPECT_TRUE(has_line(lines, "consent: opening a redirect receiver for https://as.example")) << all;
  EXPECT_TRUE(has_line(lines, "client: dynamic registration (RFC 7591) at https://as.example/register")) << all;
  EXPECT_TRUE(has_line(lines,
                       "client: keeping dynamic client client-1 for https://as.example (authentication "
                       "client_secret_post)"))
      << all;
  EXPECT_TRUE(has_line(lines, "consent: waiting for the user at https://as.example/authorize?response_type=code"))
      << all;
  EXPECT_TRUE(has_line(lines, "state=[redacted]")) << all;
  EXPECT_TRUE(has_line(lines,
                       "token: authorization_code grant at https://as.example/token, client authentication "
                       "client_secret_post"))
      << all;
  EXPECT_EQ(lines.back(),
            "token: obtained from https://as.example for client client-1 (dynamic), Bearer, expires in 3600 s, "
            "refreshable, scope read");
  for (const char* secret : {"secret-value", "BwcHBwcH"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in:\n" << all;
  }
}

TEST(FlowLog, DeviceStepsNameNoCodeAndFailuresTheirError) {
  DeviceAuthorization device;
  device.device_code = "device-secret";
  device.user_code = "ABCD-EFGH";
  device.verification_uri = "https://as.example/device";
  device.verification_uri_complete = "https://as.example/device?user_code=ABCD-EFGH";
  device.interval = 5s;
  const std::string shown = log_line(FlowState::waiting_to_poll, ShowDeviceCode{device});
  EXPECT_EQ(shown, "device: the user enters a code at https://as.example/device, polled every 5 s");
  EXPECT_EQ(log_line(FlowState::waiting_to_poll, Wait{10s}), "device: next poll in 10 s");
  EXPECT_EQ(log_line(FlowState::failed,
                     Failed{std::make_exception_ptr(Error(ErrorCode::issuer_mismatch, "the issuer differs"))}),
            "failed: the issuer differs");
  EXPECT_EQ(log_line(FlowState::failed, Failed{}), "failed");
  Post refresh;
  refresh.request.url = "https://as.example/token";
  refresh.request.body = "grant_type=refresh_token&refresh_token=r-secret&client_id=c1";
  refresh.request.authorization = "Basic c2VjcmV0";
  refresh.dpop_nonce = "n";
  EXPECT_EQ(log_line(FlowState::exchanging_token, refresh),
            "token: refresh_token grant at https://as.example/token, client authentication client_secret_basic, "
            "again with the server's DPoP nonce");
}

}  // namespace
}  // namespace oauth
}  // namespace mcpauth::core

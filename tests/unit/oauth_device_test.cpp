// The RFC 8628 device authorization grant (core/oauth/device): requests,
// the device authorization answer, poll classification and interval
// arithmetic. No error message may carry the device code or a token.
#include "mcpauth/core/oauth/device.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "error_of.hpp"
#include "form_field.hpp"
#include "mcpauth/error.hpp"
#include "oauth_values.hpp"

namespace mcpauth::core::oauth {
namespace {

using namespace testing::oauth_values;
using namespace std::chrono_literals;

constexpr const char* kEndpoint = "https://auth.example.com/device_authorization";
constexpr const char* kTokenEndpoint = "https://auth.example.com/token";
constexpr const char* kDeviceCode = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS";

// RFC 8628 §3.2's example.
constexpr const char* kRfcExample = R"({
  "device_code": "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS",
  "user_code": "WDJB-MJHT",
  "verification_uri": "https://example.com/device",
  "verification_uri_complete": "https://example.com/device?user_code=WDJB-MJHT",
  "expires_in": 1800,
  "interval": 5
})";

ClientRegistration client(const std::string& method = "none") {
  return registered_client("https://auth.example.com", "device-client", method);
}

using mcpauth::testing::expect_fields;
using mcpauth::testing::field;

// The Error `f` throws, after checking its message leaks nothing.
Error caught(const std::function<void()>& f) {
  return mcpauth::testing::error_without(f, {kDeviceCode, kAccessToken, kSecret});
}

Error device_error(const std::string& body, int status = 200) {
  return caught([&] { parse_device_authorization_response(status, body, kEndpoint, kNow); });
}

Error poll_error(const std::string& body, int status = 400) {
  return caught([&] { parse_device_token_response(status, body, kTokenEndpoint, kNow, std::nullopt); });
}

// kRfcExample with one member replaced (or removed, for a null value).
std::string example_with(const char* key, const Json& value) {
  Json doc = Json::parse(kRfcExample);
  if (value.is_null()) {
    doc.erase(key);
  } else {
    doc[key] = value;
  }
  return doc.dump();
}

// ---- supports_device_grant ---------------------------------------------------

TEST(OAuthDeviceSupport, NeedsTheEndpointAndTheGrantWhenGrantsAreListed) {
  AuthorizationServerMetadata m;
  EXPECT_FALSE(supports_device_grant(m));
  m.device_authorization_endpoint = kEndpoint;
  EXPECT_TRUE(supports_device_grant(m)) << "no grant list: the endpoint is enough";
  m.grant_types_supported = std::vector<std::string>{"authorization_code", "refresh_token"};
  EXPECT_FALSE(supports_device_grant(m));
  m.grant_types_supported->push_back("urn:ietf:params:oauth:grant-type:device_code");
  EXPECT_TRUE(supports_device_grant(m));
  m.device_authorization_endpoint = "";
  EXPECT_FALSE(supports_device_grant(m));
}

// ---- requests ----------------------------------------------------------------

TEST(OAuthDeviceRequest, PublicClientSendsClientIdScopeAndResource) {
  const auto r = device_authorization_request(kEndpoint, std::string("files:read offline_access"),
                                              std::string("https://mcp.example.com/mcp"), client(), kNow, "jti");
  EXPECT_EQ(r.url, kEndpoint);
  EXPECT_FALSE(r.authorization);
  const FormFields f = parse_form(r.body);
  expect_fields(f, {{"client_id", "device-client"},
                    {"scope", "files:read offline_access"},
                    {"resource", "https://mcp.example.com/mcp"},
                    {"grant_type", "<absent>"}});
}

TEST(OAuthDeviceRequest, EmptyScopeAndNoResourceAreLeftOut) {
  const auto r = device_authorization_request(kEndpoint, std::string(), std::nullopt, client(), kNow, "jti");
  EXPECT_EQ(r.body, "client_id=device-client");
}

TEST(OAuthDeviceRequest, ConfidentialClientAuthenticatesWithBasic) {
  const auto r =
      device_authorization_request(kEndpoint, std::nullopt, std::nullopt, client("client_secret_basic"), kNow, "jti");
  ASSERT_TRUE(r.authorization);
  EXPECT_EQ(r.authorization->rfind("Basic ", 0), 0u);
  EXPECT_EQ(field(parse_form(r.body), "client_id"), "<absent>");
}

TEST(OAuthDeviceRequest, TokenRequestUsesTheDeviceCodeGrant) {
  const auto r = device_token_request(kTokenEndpoint, kDeviceCode, std::string("https://mcp.example.com/mcp"),
                                      client("client_secret_post"), kNow, "jti");
  EXPECT_EQ(r.url, kTokenEndpoint);
  const FormFields f = parse_form(r.body);
  expect_fields(f, {{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                    {"device_code", kDeviceCode},
                    {"resource", "https://mcp.example.com/mcp"},
                    {"client_id", "device-client"},
                    {"client_secret", kSecret}});
}

// ---- parse_device_authorization_response -----------------------------------------

TEST(OAuthDeviceAuthorization, ParsesTheRfcExample) {
  const DeviceAuthorization d = parse_device_authorization_response(200, kRfcExample, kEndpoint, kNow);
  EXPECT_EQ(d.device_code, kDeviceCode);
  EXPECT_EQ(d.user_code, "WDJB-MJHT");
  EXPECT_EQ(d.verification_uri, "https://example.com/device");
  EXPECT_EQ(d.verification_uri_complete, "https://example.com/device?user_code=WDJB-MJHT");
  EXPECT_EQ(d.expires_at, kNow + 1800s);
  EXPECT_EQ(d.interval, 5s);
}

TEST(OAuthDeviceAuthorization, IntervalDefaultsToFiveSeconds) {
  const auto d = parse_device_authorization_response(200, example_with("interval", nullptr), kEndpoint, kNow);
  EXPECT_EQ(d.interval, 5s);
  EXPECT_FALSE(
      parse_device_authorization_response(200, example_with("verification_uri_complete", nullptr), kEndpoint, kNow)
          .verification_uri_complete);
}

TEST(OAuthDeviceAuthorization, AcceptsGooglesVerificationUrlAndNumbersAsStrings) {
  const std::string google = R"({"device_code":"dc","user_code":"GQVQ-JKEC",
    "verification_url":"https://www.google.com/device","expires_in":"1800","interval":5.0})";
  const auto d = parse_device_authorization_response(200, google, kEndpoint, kNow);
  EXPECT_EQ(d.verification_uri, "https://www.google.com/device");
  EXPECT_EQ(d.expires_at, kNow + 1800s);
  EXPECT_EQ(d.interval, 5s);
}

TEST(OAuthDeviceAuthorization, AcceptsLoopbackHttp) {
  const auto d = parse_device_authorization_response(
      200, example_with("verification_uri", "http://127.0.0.1:8080/device"), kEndpoint, kNow);
  EXPECT_EQ(d.verification_uri, "http://127.0.0.1:8080/device");
}

TEST(OAuthDeviceAuthorization, MissingRequiredFieldsAreNamed) {
  for (const char* key : {"device_code", "user_code", "verification_uri", "expires_in"}) {
    const Error e = device_error(example_with(key, nullptr));
    EXPECT_EQ(e.code(), ErrorCode::protocol) << key;
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(kEndpoint), std::string::npos) << e.what();
  }
  EXPECT_EQ(device_error(example_with("device_code", 42)).code(), ErrorCode::protocol);
  EXPECT_EQ(device_error(example_with("user_code", "")).code(), ErrorCode::protocol);
}

TEST(OAuthDeviceAuthorization, RefusesInsecureVerificationUris) {
  EXPECT_EQ(device_error(example_with("verification_uri", "http://example.com/device")).code(),
            ErrorCode::insecure_url);
  EXPECT_EQ(device_error(example_with("verification_uri", "javascript:alert(1)")).code(), ErrorCode::insecure_url);
  const Error e = device_error(example_with("verification_uri_complete", "http://example.com/device?user_code=WDJB"));
  EXPECT_EQ(e.code(), ErrorCode::insecure_url);
  EXPECT_EQ(std::string(e.what()).find("WDJB"), std::string::npos) << "the complete URI carries the user code";
}

TEST(OAuthDeviceAuthorization, RefusesWhatATerminalWouldInterpret) {
  EXPECT_EQ(device_error(example_with("user_code", "WDJB\x1b[2J")).code(), ErrorCode::protocol);
  EXPECT_EQ(device_error(example_with("verification_uri", "https://example.com/\x1b[2J")).code(), ErrorCode::protocol);
  EXPECT_EQ(device_error(example_with("user_code", std::string(65, 'A'))).code(), ErrorCode::protocol);
  EXPECT_EQ(parse_device_authorization_response(200, example_with("user_code", "WDJB MJHT"), kEndpoint, kNow).user_code,
            "WDJB MJHT");
}

TEST(OAuthDeviceAuthorization, RefusesAbsurdLifetimesAndIntervals) {
  for (const Json& bad : {Json(0), Json(-5), Json(86401), Json(1e300), Json("soon"), Json(12.5), Json(true)}) {
    EXPECT_EQ(device_error(example_with("expires_in", bad)).code(), ErrorCode::protocol) << bad.dump();
  }
  for (const Json& bad : {Json(0), Json(-1), Json(601), Json(1800), Json("x")}) {
    EXPECT_EQ(device_error(example_with("interval", bad)).code(), ErrorCode::protocol) << bad.dump();
  }
  const Error e = device_error(example_with("interval", 0));
  EXPECT_NE(std::string(e.what()).find("poll every 0 s"), std::string::npos) << e.what();
}

TEST(OAuthDeviceAuthorization, OAuthErrorsBecomeOAuthError) {
  try {
    parse_device_authorization_response(
        400, R"({"error":"unauthorized_client","error_description":"no\u001b[2Jdevice"})", kEndpoint, kNow);
    FAIL();
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_rejected);
    EXPECT_EQ(e.oauth_error(), "unauthorized_client");
    EXPECT_EQ(e.http_status(), 400);
    const std::string what = e.what();
    EXPECT_NE(what.find(kEndpoint), std::string::npos) << what;
    // Neutral words and a typed remedy: the host renders its own hint.
    EXPECT_NE(what.find("use a browser login"), std::string::npos) << what;
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
    EXPECT_TRUE(e.remedies().has(Remedy::use_browser_grant));
    EXPECT_EQ(what.find('\x1b'), std::string::npos) << "control characters are not shown";
  }
  EXPECT_EQ(device_error("<html>Not Found</html>", 404).code(), ErrorCode::token_rejected);
  EXPECT_EQ(device_error("<html>ok</html>", 200).code(), ErrorCode::protocol);
  EXPECT_EQ(device_error(R"(["device_code"])", 200).code(), ErrorCode::protocol);
  EXPECT_EQ(device_error(std::string(64 * 1024 + 1, ' ')).code(), ErrorCode::response_too_large);
}

// ---- polling -------------------------------------------------------------------

TEST(OAuthDevicePoll, PendingAndSlowDownAreNotErrors) {
  auto kind = [](const std::string& body, int status) {
    return parse_device_token_response(status, body, kTokenEndpoint, kNow, std::nullopt).kind;
  };
  EXPECT_EQ(kind(R"({"error":"authorization_pending"})", 400), DevicePollResult::Kind::pending);
  EXPECT_EQ(kind(R"({"error":"slow_down"})", 400), DevicePollResult::Kind::slow_down);
  EXPECT_EQ(kind(R"({"error":"authorization_pending"})", 200), DevicePollResult::Kind::pending)
      << "GitHub answers polls with 200";
  EXPECT_FALSE(parse_device_token_response(400, R"({"error":"slow_down"})", kTokenEndpoint, kNow, std::nullopt).tokens);
}

TEST(OAuthDevicePoll, TokensAreParsedAsAtTheTokenEndpoint) {
  const std::string body = std::string(R"({"access_token":")") + kAccessToken +
                           R"(","token_type":"Bearer","expires_in":3600,"refresh_token":"rt"})";
  const auto r = parse_device_token_response(200, body, kTokenEndpoint, kNow, std::string("files:read"));
  ASSERT_EQ(r.kind, DevicePollResult::Kind::tokens);
  ASSERT_TRUE(r.tokens);
  EXPECT_EQ(r.tokens->access_token, kAccessToken);
  EXPECT_EQ(r.tokens->refresh_token, "rt");
  EXPECT_EQ(r.tokens->expires_at, kNow + 3600s);
  EXPECT_EQ(r.tokens->scope, "files:read");
  const std::string dpop = std::string(R"({"access_token":")") + kAccessToken + R"(","token_type":"DPoP"})";
  EXPECT_EQ(poll_error(dpop, 200).code(), ErrorCode::protocol);
  EXPECT_EQ(parse_device_token_response(200, dpop, kTokenEndpoint, kNow, std::nullopt, true).tokens->token_type,
            "DPoP");
}

TEST(OAuthDevicePoll, AccessDeniedSaysTheUserDeclined) {
  try {
    parse_device_token_response(400, R"({"error":"access_denied"})", kTokenEndpoint, kNow, std::nullopt);
    FAIL();
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.code(), ErrorCode::authorization_denied);
    EXPECT_EQ(e.oauth_error(), "access_denied");
    EXPECT_NE(std::string(e.what()).find("you declined"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(kTokenEndpoint), std::string::npos) << e.what();
  }
}

TEST(OAuthDevicePoll, ExpiredTokenIsAConsentTimeout) {
  const Error e = poll_error(R"({"error":"expired_token"})");
  EXPECT_EQ(e.code(), ErrorCode::consent_timeout);
  EXPECT_NE(std::string(e.what()).find("start a new device login"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("mcpauth"), std::string::npos) << e.what();
  EXPECT_EQ(e.remedies(), Remedies{Remedy::retry});
}

TEST(OAuthDevicePoll, OtherErrorsAreTokenRejections) {
  EXPECT_EQ(poll_error(R"({"error":"invalid_grant"})").code(), ErrorCode::token_rejected);
  EXPECT_EQ(poll_error(R"({"error":"invalid_client"})", 401).code(), ErrorCode::token_rejected);
  EXPECT_EQ(poll_error("Bad Gateway", 502).code(), ErrorCode::token_rejected);
  EXPECT_EQ(poll_error(R"({"token_type":"Bearer"})", 200).code(), ErrorCode::protocol);
  EXPECT_EQ(poll_error(std::string(64 * 1024 + 1, ' ')).code(), ErrorCode::response_too_large);
}

TEST(OAuthDevicePoll, SlowDownAddsFiveSecondsForGood) {
  using Kind = DevicePollResult::Kind;
  EXPECT_EQ(next_interval(5s, Kind::pending), 5s);
  EXPECT_EQ(next_interval(5s, Kind::slow_down), 10s);
  EXPECT_EQ(next_interval(next_interval(5s, Kind::slow_down), Kind::slow_down), 15s);
  EXPECT_EQ(next_interval(10s, Kind::pending), 10s) << "the added time stays";
  EXPECT_EQ(next_interval(598s, Kind::slow_down), 600s) << "capped";
  EXPECT_EQ(next_interval(600s, Kind::slow_down), 600s);
}

TEST(OAuthDevicePoll, TheCodesLifetimeEndsTheLoop) {
  const DeviceAuthorization d = parse_device_authorization_response(200, kRfcExample, kEndpoint, kNow);
  EXPECT_NO_THROW(check_device_code_expiry(d, kNow + 1799s, kEndpoint));
  const Error e = caught([&] { check_device_code_expiry(d, kNow + 1800s, kEndpoint); });
  EXPECT_EQ(e.code(), ErrorCode::consent_timeout);
  EXPECT_NE(std::string(e.what()).find("https://example.com/device"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace mcpauth::core::oauth

// The authorization code flow as pure functions (core/oauth/flow): the
// authorization URL, callback checks (state, RFC 9207 iss, error, code),
// token requests with each client authentication method, token and
// registration responses, and scope selection.
#include "mcpauth/core/oauth/flow.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "form_field.hpp"
#include "mcpauth/error.hpp"
#include "oauth_values.hpp"
#include "reference_base64.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
using namespace mcpauth::core::oauth;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;
using namespace mcpauth::testing::oauth_values;

// ---- helpers ---------------------------------------------------------------

constexpr const char* kIssuer = "https://auth.example.com/tenant1";

FlowRecord make_flow() {
  FlowRecord flow;
  flow.issuer = kIssuer;
  flow.authorization_endpoint = "https://auth.example.com/tenant1/authorize";
  flow.token_endpoint = "https://auth.example.com/tenant1/token";
  flow.client_id = "client-123";
  flow.redirect_uri = "http://127.0.0.1:33418/callback";
  flow.state = "state-af0ifjsldkj";
  flow.code_verifier = kVerifier;
  flow.code_challenge = kChallenge;
  flow.scope = "files:read files:write";
  flow.resource = "https://mcp.example.com/mcp";
  return flow;
}

ClientRegistration make_client(const std::string& method) {
  ClientRegistration client;
  client.issuer = kIssuer;
  client.client_id = "client-123";
  client.token_endpoint_auth_method = method;
  if (method == "client_secret_basic" || method == "client_secret_post") client.client_secret = kSecret;
  return client;
}

// The mcpauth::Error `f` throws (code and message); a failure if none.
struct Caught {
  ErrorCode code = ErrorCode::usage;
  std::string what;
  bool thrown = false;
};
Caught catch_error(const std::function<void()>& f) {
  Caught out;
  try {
    f();
  } catch (const Error& e) {
    out = {e.code(), e.what(), true};
  }
  if (!out.thrown) ADD_FAILURE() << "no mcpauth::Error was thrown";
  return out;
}

std::string query_of(const std::string& url) {
  const auto q = url.find('?');
  return q == std::string::npos ? std::string() : url.substr(q + 1);
}

using mcpauth::testing::decode_base64url;

void expect_no_secrets(const std::string& message) {
  for (const char* secret : {kAccessToken, kRefreshToken, kSecret, kCode, kVerifier}) {
    EXPECT_EQ(message.find(secret), std::string::npos) << "\"" << secret << "\" leaked into: " << message;
  }
}

// ---- authorization_url -------------------------------------------------------

TEST(OAuthAuthorizationUrl, ContainsEveryParameter) {
  const FlowRecord flow = make_flow();
  const std::string url = authorization_url(flow);
  ASSERT_EQ(url.rfind(flow.authorization_endpoint + "?", 0), 0u) << url;
  const FormFields q = parse_form(query_of(url));
  auto get = [&](const char* name) {
    const std::string* v = find_field(q, name);
    return v ? *v : std::string("<absent>");
  };
  EXPECT_EQ(get("response_type"), "code");
  EXPECT_EQ(get("client_id"), "client-123");
  EXPECT_EQ(get("redirect_uri"), "http://127.0.0.1:33418/callback");
  EXPECT_EQ(get("code_challenge"), kChallenge);
  EXPECT_EQ(get("code_challenge_method"), "S256");
  EXPECT_EQ(get("state"), "state-af0ifjsldkj");
  EXPECT_EQ(get("scope"), "files:read files:write");
  EXPECT_EQ(get("resource"), "https://mcp.example.com/mcp");
  EXPECT_EQ(find_field(q, "code_verifier"), nullptr);  // the verifier never goes to the browser
  EXPECT_EQ(url.find(kVerifier), std::string::npos);
  // The resource is percent-encoded on the wire (spec-checklist §7.2).
  EXPECT_NE(url.find("resource=https%3A%2F%2Fmcp.example.com%2Fmcp"), std::string::npos) << url;
  EXPECT_EQ(url.find(' '), std::string::npos);
}

TEST(OAuthAuthorizationUrl, ScopeAndResourceOnlyWhenSet) {
  FlowRecord flow = make_flow();
  flow.scope.reset();
  flow.resource.reset();
  FormFields q = parse_form(query_of(authorization_url(flow)));
  EXPECT_EQ(find_field(q, "scope"), nullptr);
  EXPECT_EQ(find_field(q, "resource"), nullptr);
  EXPECT_NE(find_field(q, "state"), nullptr);

  flow.scope = "";
  q = parse_form(query_of(authorization_url(flow)));
  EXPECT_EQ(find_field(q, "scope"), nullptr);
}

TEST(OAuthAuthorizationUrl, KeepsTheEndpointsQuery) {
  FlowRecord flow = make_flow();
  flow.authorization_endpoint = "https://as/authorize?tenant=x";
  const std::string url = authorization_url(flow);
  ASSERT_EQ(url.rfind("https://as/authorize?tenant=x&", 0), 0u) << url;
  EXPECT_EQ(std::count(url.begin(), url.end(), '?'), 1);
  const FormFields q = parse_form(query_of(url));
  ASSERT_NE(find_field(q, "tenant"), nullptr);
  EXPECT_EQ(*find_field(q, "tenant"), "x");
  ASSERT_NE(find_field(q, "response_type"), nullptr);
  EXPECT_EQ(*find_field(q, "state"), flow.state);
}

TEST(OAuthAuthorizationUrl, ExtraParametersAppended) {
  const std::string url = authorization_url(make_flow(), {{"prompt", "consent"}});
  const FormFields q = parse_form(query_of(url));
  ASSERT_NE(find_field(q, "prompt"), nullptr);
  EXPECT_EQ(*find_field(q, "prompt"), "consent");
}

// ---- code_from_callback ------------------------------------------------------

TEST(OAuthCallback, ReturnsCodeWhenStateMatches) {
  const FlowRecord flow = make_flow();
  EXPECT_EQ(code_from_callback({{"code", kCode}, {"state", flow.state}}, flow), kCode);
}

TEST(OAuthCallback, MissingOrWrongStateIsStateMismatch) {
  const FlowRecord flow = make_flow();
  for (const FormFields& params :
       {FormFields{{"code", kCode}}, FormFields{{"code", kCode}, {"state", "other"}},
        FormFields{{"code", kCode}, {"state", ""}}, FormFields{{"code", kCode}, {"state", flow.state + "x"}},
        FormFields{{"code", kCode}, {"STATE", flow.state}}}) {
    const Caught c = catch_error([&] { code_from_callback(params, flow); });
    EXPECT_EQ(c.code, ErrorCode::state_mismatch);
    expect_no_secrets(c.what);
    EXPECT_EQ(c.what.find(flow.state), std::string::npos) << c.what;
  }
}

TEST(OAuthCallback, WrongStateIsCheckedBeforeErrorAndIss) {
  const FlowRecord flow = make_flow();
  Caught c = catch_error([&] {
    code_from_callback({{"error", "access_denied"}, {"error_description", "ATTACKER TEXT"}, {"state", "forged"}}, flow);
  });
  EXPECT_EQ(c.code, ErrorCode::state_mismatch);
  EXPECT_EQ(c.what.find("ATTACKER TEXT"), std::string::npos) << c.what;
  EXPECT_EQ(c.what.find("access_denied"), std::string::npos) << c.what;

  c = catch_error([&] { code_from_callback({{"iss", "https://evil.example"}, {"code", kCode}}, flow); });
  EXPECT_EQ(c.code, ErrorCode::state_mismatch);
  EXPECT_EQ(c.what.find("evil"), std::string::npos) << c.what;
}

TEST(OAuthCallback, AnotherIssParameterNamesOnlyTheExpectedIssuerAsDetail) {
  const FlowRecord flow = make_flow();
  try {
    code_from_callback({{"code", kCode}, {"state", flow.state}, {"iss", "https://evil.example"}}, flow);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch);
    EXPECT_EQ(e.detail().expected_issuer, kIssuer);
    EXPECT_EQ(e.detail().received_issuer, "") << "attacker-controlled input is never repeated";
  }
}

TEST(OAuthCallback, Rfc9207Table) {
  FlowRecord flow = make_flow();
  // supported + present and equal: ok
  flow.iss_parameter_supported = true;
  EXPECT_EQ(code_from_callback({{"code", kCode}, {"state", flow.state}, {"iss", kIssuer}}, flow), kCode);
  // supported + absent: reject
  EXPECT_EQ(catch_error([&] {
              code_from_callback({{"code", kCode}, {"state", flow.state}}, flow);
            }).code,
            ErrorCode::issuer_mismatch);
  // supported + present and different: reject
  EXPECT_EQ(catch_error([&] {
              code_from_callback({{"code", kCode}, {"state", flow.state}, {"iss", "https://evil.example"}}, flow);
            }).code,
            ErrorCode::issuer_mismatch);
  // not supported + present and different: compared anyway, reject
  flow.iss_parameter_supported = false;
  EXPECT_EQ(catch_error([&] {
              code_from_callback({{"code", kCode}, {"state", flow.state}, {"iss", "https://evil.example"}}, flow);
            }).code,
            ErrorCode::issuer_mismatch);
  // not supported + present and equal: ok
  EXPECT_EQ(code_from_callback({{"code", kCode}, {"state", flow.state}, {"iss", kIssuer}}, flow), kCode);
  // not supported + absent: proceed
  EXPECT_EQ(code_from_callback({{"code", kCode}, {"state", flow.state}}, flow), kCode);
}

TEST(OAuthCallback, IssIsComparedExactly) {
  FlowRecord flow = make_flow();
  for (bool supported : {false, true}) {
    flow.iss_parameter_supported = supported;
    for (const std::string variant :
         {"https://auth.example.com/tenant1/", "https://AUTH.example.com/tenant1", "https://auth.example.com/Tenant1",
          "HTTPS://auth.example.com/tenant1", "https://auth.example.com:443/tenant1", "https://auth.example.com",
          "https://auth.example.com/tenant%31", ""}) {
      const Caught c = catch_error([&] {
        code_from_callback({{"code", kCode}, {"state", flow.state}, {"iss", variant}}, flow);
      });
      EXPECT_EQ(c.code, ErrorCode::issuer_mismatch) << variant;
      expect_no_secrets(c.what);
    }
  }
}

TEST(OAuthCallback, IssIsComparedAfterFormDecoding) {
  FlowRecord flow = make_flow();
  flow.iss_parameter_supported = true;
  const FormFields params =
      parse_form("code=abc&state=" + flow.state + "&iss=https%3A%2F%2Fauth.example.com%2Ftenant1");
  EXPECT_EQ(code_from_callback(params, flow), "abc");
}

TEST(OAuthCallback, IssMismatchHidesTheErrorResponse) {
  const FlowRecord flow = make_flow();
  const Caught c = catch_error([&] {
    code_from_callback({{"state", flow.state},
                        {"iss", "https://evil.example"},
                        {"error", "access_denied"},
                        {"error_description", "ATTACKER TEXT"}},
                       flow);
  });
  EXPECT_EQ(c.code, ErrorCode::issuer_mismatch);
  EXPECT_EQ(c.what.find("ATTACKER TEXT"), std::string::npos) << c.what;
}

TEST(OAuthCallback, ErrorIsAuthorizationDenied) {
  const FlowRecord flow = make_flow();
  Caught c = catch_error([&] {
    code_from_callback({{"error", "access_denied"}, {"error_description", "The user said no"}, {"state", flow.state}},
                       flow);
  });
  EXPECT_EQ(c.code, ErrorCode::authorization_denied);
  EXPECT_NE(c.what.find("access_denied"), std::string::npos) << c.what;
  // With a code too, the error wins and the code is not returned or shown.
  c = catch_error([&] {
    code_from_callback({{"error", "access_denied"}, {"code", kCode}, {"state", flow.state}}, flow);
  });
  EXPECT_EQ(c.code, ErrorCode::authorization_denied);
  expect_no_secrets(c.what);
}

TEST(OAuthCallback, LongErrorDescriptionIsTruncated) {
  const FlowRecord flow = make_flow();
  const Caught c = catch_error([&] {
    code_from_callback(
        {{"error", "server_error"}, {"error_description", std::string(10000, 'd')}, {"state", flow.state}}, flow);
  });
  EXPECT_EQ(c.code, ErrorCode::authorization_denied);
  EXPECT_LT(c.what.size(), 1000u);
}

TEST(OAuthCallback, MissingOrEmptyCodeIsProtocol) {
  const FlowRecord flow = make_flow();
  EXPECT_EQ(catch_error([&] { code_from_callback({{"state", flow.state}}, flow); }).code, ErrorCode::protocol);
  EXPECT_EQ(catch_error([&] {
              code_from_callback({{"state", flow.state}, {"code", ""}}, flow);
            }).code,
            ErrorCode::protocol);
}

// ---- token requests ----------------------------------------------------------

using mcpauth::testing::expect_fields;
using mcpauth::testing::field;

TEST(OAuthTokenRequest, AuthorizationCodeRequestBody) {
  const FlowRecord flow = make_flow();
  const TokenRequest request = authorization_code_request(flow, kCode, make_client("none"), kNow, "jti-1");
  EXPECT_EQ(request.url, flow.token_endpoint);
  const FormFields body = parse_form(request.body);
  expect_fields(body, {{"grant_type", "authorization_code"},
                       {"code", kCode},
                       {"redirect_uri", flow.redirect_uri},
                       {"code_verifier", kVerifier},
                       {"resource", "https://mcp.example.com/mcp"},
                       {"client_id", "client-123"}});
}

TEST(OAuthTokenRequest, AuthorizationCodeRequestWithoutResource) {
  FlowRecord flow = make_flow();
  flow.resource.reset();
  const FormFields body = parse_form(authorization_code_request(flow, kCode, make_client("none"), kNow, "jti-1").body);
  EXPECT_EQ(find_field(body, "resource"), nullptr);
  EXPECT_EQ(field(body, "code"), kCode);
}

TEST(OAuthClientAuth, NoneSendsClientIdInBody) {
  const TokenRequest request = authorization_code_request(make_flow(), kCode, make_client("none"), kNow, "j");
  const FormFields body = parse_form(request.body);
  EXPECT_FALSE(request.authorization.has_value());
  EXPECT_EQ(field(body, "client_id"), "client-123");
  EXPECT_EQ(find_field(body, "client_secret"), nullptr);
  EXPECT_EQ(find_field(body, "client_assertion"), nullptr);
}

TEST(OAuthClientAuth, ClientSecretBasicUsesFormEncodedCredentials) {
  ClientRegistration client = make_client("client_secret_basic");
  client.client_id = "id:with colon";
  client.client_secret = std::string(kSecret) + " %+";
  const TokenRequest request = authorization_code_request(make_flow(), kCode, client, kNow, "j");
  ASSERT_TRUE(request.authorization.has_value());
  ASSERT_EQ(request.authorization->rfind("Basic ", 0), 0u);
  const std::string decoded = decode_base64url(request.authorization->substr(6));
  ASSERT_EQ(std::count(decoded.begin(), decoded.end(), ':'), 1) << decoded;
  const auto colon = decoded.find(':');
  const auto id = parse_form("x=" + decoded.substr(0, colon));
  const auto secret = parse_form("x=" + decoded.substr(colon + 1));
  ASSERT_EQ(id.size(), 1u);
  ASSERT_EQ(secret.size(), 1u);
  EXPECT_EQ(id[0].second, client.client_id);
  EXPECT_EQ(secret[0].second, *client.client_secret);
  EXPECT_EQ(*request.authorization, "Basic " + basic_credentials(client.client_id, *client.client_secret));

  const FormFields body = parse_form(request.body);
  EXPECT_EQ(find_field(body, "client_secret"), nullptr);
  EXPECT_EQ(request.body.find(kSecret), std::string::npos);
  EXPECT_EQ(field(body, "code"), kCode);
}

TEST(OAuthClientAuth, ClientSecretPostSendsIdAndSecretInBody) {
  const TokenRequest request =
      authorization_code_request(make_flow(), kCode, make_client("client_secret_post"), kNow, "j");
  EXPECT_FALSE(request.authorization.has_value());
  const FormFields body = parse_form(request.body);
  EXPECT_EQ(field(body, "client_id"), "client-123");
  EXPECT_EQ(field(body, "client_secret"), kSecret);
}

TEST(OAuthClientAuth, SecretMethodWithoutSecretFallsBackToPublic) {
  ClientRegistration client = make_client("client_secret_basic");
  client.client_secret.reset();
  const TokenRequest request = authorization_code_request(make_flow(), kCode, client, kNow, "j");
  EXPECT_FALSE(request.authorization.has_value());
  EXPECT_EQ(field(parse_form(request.body), "client_id"), "client-123");
}

// ---- private_key_jwt -----------------------------------------------------------

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, OpenSslFree>;

Pkey generate_ec_key(const char* curve) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

std::string private_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, OpenSslFree> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Verifies a JWS ES256 signature (raw r||s) over `input` with `key`.
bool verify_es256(EVP_PKEY* key, const std::string& input, const std::string& raw) {
  if (raw.size() != 64) return false;
  std::unique_ptr<ECDSA_SIG, OpenSslFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) return false;
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  std::unique_ptr<EVP_MD_CTX, OpenSslFree> ctx(EVP_MD_CTX_new());
  const bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

TEST(OAuthClientAuth, PrivateKeyJwtIsAValidEs256Assertion) {
  const Pkey key = generate_ec_key("P-256");
  ASSERT_TRUE(key);
  ClientRegistration client = make_client("private_key_jwt");
  client.private_key_pem = private_pem(key.get());
  ASSERT_FALSE(client.private_key_pem->empty());

  const TokenRequest request = authorization_code_request(make_flow(), kCode, client, kNow, "jti-42");
  EXPECT_FALSE(request.authorization.has_value());
  const FormFields body = parse_form(request.body);
  EXPECT_EQ(field(body, "client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(field(body, "client_id"), "client-123");
  EXPECT_EQ(find_field(body, "client_secret"), nullptr);
  EXPECT_EQ(request.body.find("PRIVATE KEY"), std::string::npos);
  const std::string jwt = field(body, "client_assertion");

  const auto dot1 = jwt.find('.');
  const auto dot2 = jwt.find('.', dot1 + 1);
  ASSERT_NE(dot1, std::string::npos);
  ASSERT_NE(dot2, std::string::npos);
  ASSERT_EQ(jwt.find('.', dot2 + 1), std::string::npos);
  EXPECT_EQ(jwt.find('='), std::string::npos);  // base64url without padding

  const Json header = Json::parse(decode_base64url(jwt.substr(0, dot1)));
  const Json claims = Json::parse(decode_base64url(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  const std::string signature = decode_base64url(jwt.substr(dot2 + 1));

  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(claims["iss"], "client-123");
  EXPECT_EQ(claims["sub"], "client-123");
  EXPECT_EQ(claims["aud"], kIssuer);
  EXPECT_EQ(claims["jti"], "jti-42");
  EXPECT_EQ(claims["iat"].get<long long>(), 1'700'000'000);
  EXPECT_EQ(claims["exp"].get<long long>() - claims["iat"].get<long long>(), 300);

  const std::string signing_input = jwt.substr(0, dot2);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(verify_es256(key.get(), signing_input, signature));
  // The check can fail: another input, or another key, does not verify.
  EXPECT_FALSE(verify_es256(key.get(), signing_input + "x", signature));
  const Pkey other = generate_ec_key("P-256");
  EXPECT_FALSE(verify_es256(other.get(), signing_input, signature));
}

TEST(OAuthClientAuth, PrivateKeyJwtRejectsUnusableKeysWithoutEchoingThem) {
  ClientRegistration client = make_client("private_key_jwt");
  client.private_key_pem = "-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n";
  Caught c = catch_error([&] { authorization_code_request(make_flow(), kCode, client, kNow, "j"); });
  EXPECT_EQ(c.code, ErrorCode::usage);
  EXPECT_EQ(c.what.find("SECRETKEYMATERIAL"), std::string::npos) << c.what;
  expect_no_secrets(c.what);

  const Pkey p384 = generate_ec_key("P-384");
  ASSERT_TRUE(p384);
  client.private_key_pem = private_pem(p384.get());
  c = catch_error([&] { authorization_code_request(make_flow(), kCode, client, kNow, "j"); });
  EXPECT_EQ(c.code, ErrorCode::usage);
}

TEST(OAuthTokenRequest, RefreshTokenRequestIncludesResource) {
  const TokenRequest request = refresh_token_request(
      "https://as/token", kRefreshToken, std::string("https://mcp.example.com/mcp"), make_client("none"), kNow, "j");
  EXPECT_EQ(request.url, "https://as/token");
  const FormFields body = parse_form(request.body);
  expect_fields(body, {{"grant_type", "refresh_token"},
                       {"refresh_token", kRefreshToken},
                       {"resource", "https://mcp.example.com/mcp"},
                       {"client_id", "client-123"}});
  EXPECT_EQ(find_field(body, "code_verifier"), nullptr);
}

TEST(OAuthTokenRequest, RefreshRepeatsTheGrantedScope) {
  // Some authorization servers refuse a refresh that does not repeat the scope.
  const TokenRequest with = refresh_token_request("https://as/token", kRefreshToken, std::nullopt, make_client("none"),
                                                  kNow, "j", std::string("mcp:read offline_access"));
  EXPECT_EQ(field(parse_form(with.body), "scope"), "mcp:read offline_access");
  const TokenRequest empty =
      refresh_token_request("https://as/token", kRefreshToken, std::nullopt, make_client("none"), kNow, "j", "");
  EXPECT_EQ(find_field(parse_form(empty.body), "scope"), nullptr);
  const TokenRequest none =
      refresh_token_request("https://as/token", kRefreshToken, std::nullopt, make_client("none"), kNow, "j");
  EXPECT_EQ(find_field(parse_form(none.body), "scope"), nullptr);
}

TEST(OAuthTokenRequest, RefreshWithSecretPost) {
  const TokenRequest request = refresh_token_request("https://as/token", kRefreshToken, std::nullopt,
                                                     make_client("client_secret_post"), kNow, "j");
  const FormFields body = parse_form(request.body);
  EXPECT_EQ(find_field(body, "resource"), nullptr);
  EXPECT_EQ(field(body, "client_secret"), kSecret);
}

TEST(OAuthTokenRequest, ClientCredentialsRequest) {
  const TokenRequest request =
      client_credentials_request("https://as/token", std::string("a b"), std::string("https://mcp.example.com"),
                                 make_client("client_secret_basic"), kNow, "j");
  const FormFields body = parse_form(request.body);
  expect_fields(body,
                {{"grant_type", "client_credentials"}, {"scope", "a b"}, {"resource", "https://mcp.example.com"}});
  EXPECT_TRUE(request.authorization.has_value());
}

// ---- parse_token_response ------------------------------------------------------

const std::string kTokenUrl = "https://auth.example.com/tenant1/token";

TokenSet parse_ok(const std::string& body, const std::optional<std::string>& requested = std::nullopt,
                  const std::optional<std::string>& previous = std::nullopt) {
  return parse_token_response(200, body, kTokenUrl, kNow, requested, previous);
}

TEST(OAuthTokenResponse, OkWithExpiresIn) {
  const TokenSet t = parse_ok(std::string(R"({"access_token":")") + kAccessToken +
                              R"(","token_type":"Bearer","expires_in":3600,"refresh_token":")" + kRefreshToken +
                              R"(","scope":"a b"})");
  EXPECT_EQ(t.access_token, kAccessToken);
  EXPECT_EQ(t.refresh_token, kRefreshToken);
  ASSERT_TRUE(t.expires_at.has_value());
  EXPECT_EQ(*t.expires_at, kNow + 3600s);
  EXPECT_EQ(t.scope, "a b");
}

TEST(OAuthTokenResponse, StringAndFloatExpiresIn) {
  TokenSet t = parse_ok(R"({"access_token":"x","token_type":"Bearer","expires_in":"120"})");
  ASSERT_TRUE(t.expires_at.has_value());
  EXPECT_EQ(*t.expires_at, kNow + 120s);
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer","expires_in":59.9})");
  ASSERT_TRUE(t.expires_at.has_value());
  EXPECT_EQ(*t.expires_at, kNow + 59s);
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer"})");
  EXPECT_FALSE(t.expires_at.has_value());
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer","expires_in":"soon"})");
  EXPECT_FALSE(t.expires_at.has_value());
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer","expires_in":-5})");
  EXPECT_FALSE(t.expires_at.has_value());
}

TEST(OAuthTokenResponse, HugeExpiresInIsCapped) {
  const auto ten_years = std::chrono::seconds(10LL * 365 * 86400);
  for (const char* value : {"1000000000000000", "\"99999999999999999999\"", "1e300", "1.5e18"}) {
    TokenSet t;
    ASSERT_NO_THROW(
        t = parse_ok(std::string(R"({"access_token":"x","token_type":"Bearer","expires_in":)") + value + "}"))
        << value;
    if (t.expires_at) {
      EXPECT_LE(*t.expires_at, kNow + ten_years) << value;
      EXPECT_GT(*t.expires_at, kNow) << value;
    }
  }
  // A huge number is a long lifetime, capped; not "no expiry".
  const TokenSet big = parse_ok(R"({"access_token":"x","token_type":"Bearer","expires_in":1e300})");
  ASSERT_TRUE(big.expires_at.has_value());
  EXPECT_EQ(*big.expires_at, kNow + ten_years);
}

TEST(OAuthTokenResponse, TokenTypeIsCaseInsensitive) {
  for (const char* type : {"bearer", "BEARER", "Bearer", "bEaReR"}) {
    EXPECT_EQ(parse_ok(std::string(R"({"access_token":"x","token_type":")") + type + "\"}").token_type, "Bearer")
        << type;
  }
}

TEST(OAuthTokenResponse, NonBearerTypeIsRejected) {
  for (const char* body : {R"({"access_token":"x","token_type":"mac"})", R"({"access_token":"x","token_type":"DPoP"})",
                           R"({"access_token":"x","token_type":"Bearer "})", R"({"access_token":"x"})",
                           R"({"access_token":"x","token_type":5})"}) {
    const Caught c = catch_error([&] { parse_ok(body); });
    EXPECT_EQ(c.code, ErrorCode::protocol) << body;
  }
}

TEST(OAuthTokenResponse, MissingAccessTokenIsProtocol) {
  for (const char* body : {R"({"token_type":"Bearer"})", R"({"access_token":"","token_type":"Bearer"})",
                           R"({"access_token":7,"token_type":"Bearer"})", "not json", "[]", ""}) {
    EXPECT_EQ(catch_error([&] { parse_ok(body); }).code, ErrorCode::protocol) << body;
  }
}

TEST(OAuthTokenResponse, ErrorIn200BodyIsTokenRejected) {
  try {
    parse_ok(R"({"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."})");
    FAIL() << "accepted";
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_rejected);
    EXPECT_EQ(e.oauth_error(), "bad_verification_code");
    EXPECT_EQ(e.http_status(), 200);
    EXPECT_EQ(e.url(), kTokenUrl);
  }
}

TEST(OAuthTokenResponse, InvalidGrant400IsTokenRejected) {
  try {
    parse_token_response(400, R"({"error":"invalid_grant"})", kTokenUrl, kNow, std::nullopt, std::nullopt);
    FAIL() << "accepted";
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_rejected);
    EXPECT_EQ(e.oauth_error(), "invalid_grant");
    EXPECT_EQ(e.http_status(), 400);
  }
}

TEST(OAuthTokenResponse, Non200WithoutJsonIsTokenRejected) {
  try {
    parse_token_response(503, "<html>down</html>", kTokenUrl, kNow, std::nullopt, std::nullopt);
    FAIL() << "accepted";
  } catch (const OAuthError& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_rejected);
    EXPECT_EQ(e.oauth_error(), "");
    EXPECT_EQ(e.http_status(), 503);
  }
  // A 4xx carrying what looks like a token is still not a success.
  EXPECT_EQ(catch_error([&] {
              parse_token_response(401,
                                   std::string(R"({"access_token":")") + kAccessToken + R"(","token_type":"Bearer"})",
                                   kTokenUrl, kNow, std::nullopt, std::nullopt);
            }).code,
            ErrorCode::token_rejected);
}

TEST(OAuthTokenResponse, NonStringErrorDescriptionDoesNotEscapeAsJsonError) {
  // Only mcpauth errors may leave the parser, whatever the JSON types.
  for (const char* body : {R"({"error":"invalid_grant","error_description":42})",
                           R"({"error":"invalid_grant","error_description":{"a":1}})",
                           R"({"error":"invalid_grant","error_description":null})"}) {
    try {
      parse_token_response(400, body, kTokenUrl, kNow, std::nullopt, std::nullopt);
      ADD_FAILURE() << "accepted " << body;
    } catch (const OAuthError& e) {
      EXPECT_EQ(e.code(), ErrorCode::token_rejected) << body;
      EXPECT_EQ(e.oauth_error(), "invalid_grant") << body;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "a non-mcpauth exception escaped for " << body << ": " << e.what();
    }
  }
}

TEST(OAuthTokenResponse, RefreshTokenKeptWhenAbsentReplacedWhenPresent) {
  TokenSet t = parse_ok(R"({"access_token":"x","token_type":"Bearer"})", std::nullopt, std::string("old-rt"));
  EXPECT_EQ(t.refresh_token, "old-rt");
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer","refresh_token":""})", std::nullopt, std::string("old-rt"));
  EXPECT_EQ(t.refresh_token, "old-rt");
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer","refresh_token":"new-rt"})", std::nullopt,
               std::string("old-rt"));
  EXPECT_EQ(t.refresh_token, "new-rt");
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer"})");
  EXPECT_FALSE(t.refresh_token.has_value());
}

TEST(OAuthTokenResponse, ScopeDefaultsToRequested) {
  TokenSet t = parse_ok(R"({"access_token":"x","token_type":"Bearer"})", std::string("a b"));
  EXPECT_EQ(t.scope, "a b");
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer","scope":"a"})", std::string("a b"));
  EXPECT_EQ(t.scope, "a");
  t = parse_ok(R"({"access_token":"x","token_type":"Bearer"})");
  EXPECT_FALSE(t.scope.has_value());
}

TEST(OAuthTokenResponse, TooLargeIsProtocol) {
  const std::string body =
      R"({"access_token":"x","token_type":"Bearer","pad":")" + std::string(300 * 1024, 'p') + "\"}";
  EXPECT_EQ(catch_error([&] { parse_ok(body); }).code, ErrorCode::protocol);
}

// ---- no secret in any message --------------------------------------------------

TEST(OAuthSecrets, NoTokenOrSecretInExceptionMessages) {
  const std::string at(kAccessToken);
  const std::string rt(kRefreshToken);
  const std::vector<std::pair<int, std::string>> token_failures = {
      {200, R"({"access_token":")" + at + R"(","token_type":"mac","refresh_token":")" + rt + R"("})"},
      {200, R"({"refresh_token":")" + rt + R"(","token_type":"Bearer"})"},
      {200, "access_token=" + at + "&token_type=bearer"},
      {200, R"({"error":"invalid_grant","access_token":")" + at + R"("})"},
      {400, R"({"access_token":")" + at + R"(","refresh_token":")" + rt + R"(","token_type":"Bearer"})"},
      {500, at + " " + rt + " " + kSecret + " " + kCode},
      {400, R"({"error":"invalid_client","client_secret":")" + std::string(kSecret) + R"("})"},
  };
  int thrown = 0;
  for (const auto& [status, body] : token_failures) {
    try {
      parse_token_response(status, body, kTokenUrl, kNow, std::nullopt, std::string(kRefreshToken));
      ADD_FAILURE() << "accepted " << body;
    } catch (const Error& e) {
      ++thrown;
      expect_no_secrets(e.what());
    }
  }
  EXPECT_EQ(thrown, static_cast<int>(token_failures.size()));

  const FlowRecord flow = make_flow();
  for (const FormFields& params : {FormFields{{"code", kCode}, {"state", "wrong"}}, FormFields{{"code", kCode}},
                                   FormFields{{"code", kCode}, {"state", flow.state}, {"iss", "https://evil"}},
                                   FormFields{{"code", kCode}, {"state", flow.state}, {"error", "access_denied"}}}) {
    const Caught c = catch_error([&] { code_from_callback(params, flow); });
    expect_no_secrets(c.what);
  }

  AuthorizationServerMetadata metadata;
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {400, R"({"error":"invalid_client_metadata","client_secret":")" + std::string(kSecret) + R"("})"},
           {201, R"({"client_secret":")" + std::string(kSecret) + R"("})"},
           {500, std::string(kSecret)}}) {
    // Captured under names of their own: clang before 16 cannot capture a structured binding.
    const Caught c = catch_error([&, code = status, &text = body] {
      parse_registration_response(code, text, "https://as/register", kIssuer, RegistrationRequest{}, metadata);
    });
    EXPECT_EQ(c.code, ErrorCode::registration_rejected);
    expect_no_secrets(c.what);
  }
}

// ---- registration ----------------------------------------------------------------

TEST(OAuthRegistration, BodyFields) {
  RegistrationRequest request;
  request.redirect_uris = {"http://127.0.0.1:33418/callback", "http://localhost:33418/callback"};
  request.software_version = "1.2.3";
  const Json body = Json::parse(registration_body(request));
  EXPECT_EQ(body["redirect_uris"], Json(request.redirect_uris));
  EXPECT_EQ(body["grant_types"], Json({"authorization_code", "refresh_token"}));
  ASSERT_TRUE(body["response_types"].is_array());
  EXPECT_EQ(body["response_types"], Json::array({"code"}));
  EXPECT_EQ(body["token_endpoint_auth_method"], "none");
  EXPECT_EQ(body["application_type"], "native");
  EXPECT_EQ(body["client_name"], "mcpauth");
  EXPECT_EQ(body["software_id"], "mcpauth");
  EXPECT_EQ(body["software_version"], "1.2.3");
  EXPECT_FALSE(body.contains("scope"));

  request.scope = "a b";
  request.token_endpoint_auth_method = "client_secret_basic";
  request.client_name = "My \"client\"";
  const Json with_scope = Json::parse(registration_body(request));
  EXPECT_EQ(with_scope["scope"], "a b");
  EXPECT_EQ(with_scope["token_endpoint_auth_method"], "client_secret_basic");
  EXPECT_EQ(with_scope["client_name"], "My \"client\"");
}

TEST(OAuthRegistration, PreferredAuthMethod) {
  AuthorizationServerMetadata m;
  EXPECT_EQ(preferred_auth_method(m), "none");  // absent list
  m.token_endpoint_auth_methods_supported = Strings{"client_secret_basic", "none"};
  EXPECT_EQ(preferred_auth_method(m), "none");
  m.token_endpoint_auth_methods_supported = Strings{"client_secret_basic"};
  EXPECT_EQ(preferred_auth_method(m), "client_secret_basic");
  m.token_endpoint_auth_methods_supported = Strings{"client_secret_post"};
  EXPECT_EQ(preferred_auth_method(m), "client_secret_post");
  m.token_endpoint_auth_methods_supported = Strings{"client_secret_post", "client_secret_basic"};
  EXPECT_EQ(preferred_auth_method(m), "client_secret_basic");
  m.token_endpoint_auth_methods_supported = Strings{"private_key_jwt"};
  EXPECT_EQ(preferred_auth_method(m), "none");
  m.token_endpoint_auth_methods_supported = Strings{};
  EXPECT_EQ(preferred_auth_method(m), "none");
}

RegistrationRequest make_registration_request() {
  RegistrationRequest request;
  request.redirect_uris = {"http://127.0.0.1:33418/callback"};
  return request;
}

TEST(OAuthRegistration, ResponseWithSecretAndMethod) {
  const AuthorizationServerMetadata m;
  const ClientRegistration c = parse_registration_response(
      201,
      std::string(R"({"client_id":"abc","client_secret":")") + kSecret +
          R"(","client_secret_expires_at":0,"token_endpoint_auth_method":"client_secret_post"})",
      "https://as/register", kIssuer, make_registration_request(), m);
  EXPECT_EQ(c.client_id, "abc");
  EXPECT_EQ(c.client_secret, kSecret);
  EXPECT_EQ(c.token_endpoint_auth_method, "client_secret_post");
  EXPECT_EQ(c.issuer, kIssuer);
  EXPECT_EQ(c.kind, ClientKind::dynamic);
  EXPECT_EQ(c.redirect_uris, Strings{"http://127.0.0.1:33418/callback"});
}

TEST(OAuthRegistration, ResponseRedirectUrisWin) {
  const ClientRegistration c = parse_registration_response(
      201, R"({"client_id":"abc","redirect_uris":["http://127.0.0.1:1/cb"]})", "https://as/register", kIssuer,
      make_registration_request(), AuthorizationServerMetadata{});
  EXPECT_EQ(c.redirect_uris, Strings{"http://127.0.0.1:1/cb"});
  EXPECT_EQ(c.token_endpoint_auth_method, "none");
  EXPECT_FALSE(c.client_secret.has_value());
}

TEST(OAuthRegistration, SecretWithoutMethodUsesBasicIfSupportedElsePost) {
  const std::string body = R"({"client_id":"abc","client_secret":"s"})";
  AuthorizationServerMetadata m;  // absent list: the RFC 8414 default is client_secret_basic
  EXPECT_EQ(
      parse_registration_response(201, body, "u", kIssuer, make_registration_request(), m).token_endpoint_auth_method,
      "client_secret_basic");
  m.token_endpoint_auth_methods_supported = Strings{"client_secret_post", "client_secret_basic"};
  EXPECT_EQ(
      parse_registration_response(201, body, "u", kIssuer, make_registration_request(), m).token_endpoint_auth_method,
      "client_secret_basic");
  m.token_endpoint_auth_methods_supported = Strings{"client_secret_post"};
  EXPECT_EQ(
      parse_registration_response(201, body, "u", kIssuer, make_registration_request(), m).token_endpoint_auth_method,
      "client_secret_post");
}

TEST(OAuthRegistration, ErrorJsonIsRejected) {
  const AuthorizationServerMetadata m;
  for (int status : {400, 201}) {
    const Caught c = catch_error([&] {
      parse_registration_response(status,
                                  R"({"error":"invalid_redirect_uri","error_description":"loopback not allowed"})",
                                  "https://as/register", kIssuer, make_registration_request(), m);
    });
    EXPECT_EQ(c.code, ErrorCode::registration_rejected) << status;
    EXPECT_NE(c.what.find("invalid_redirect_uri"), std::string::npos) << c.what;
  }
  try {
    parse_registration_response(400, R"({"error":"invalid_client_metadata"})", "https://as/register", kIssuer,
                                make_registration_request(), m);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(e.url(), "https://as/register");
  }
}

TEST(OAuthRegistration, NonStringErrorDescriptionIsStillRejected) {
  try {
    parse_registration_response(400, R"({"error":"invalid_client_metadata","error_description":["x"]})",
                                "https://as/register", kIssuer, make_registration_request(),
                                AuthorizationServerMetadata{});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::registration_rejected);
  } catch (const std::exception& e) {
    FAIL() << "a non-mcpauth exception escaped: " << e.what();
  }
}

TEST(OAuthRegistration, MissingClientIdIsRejected) {
  const AuthorizationServerMetadata m;
  for (const char* body : {R"({})", R"({"client_id":""})", R"({"client_id":5})", "not json", "[]"}) {
    EXPECT_EQ(catch_error([&] {
                parse_registration_response(201, body, "https://as/register", kIssuer, make_registration_request(), m);
              }).code,
              ErrorCode::registration_rejected)
        << body;
  }
}

// ---- scope selection ---------------------------------------------------------------

ProtectedResourceMetadata prm_with_scopes(std::optional<Strings> scopes) {
  ProtectedResourceMetadata prm;
  prm.resource = "https://mcp.example.com/mcp";
  prm.authorization_servers = {kIssuer};
  prm.scopes_supported = std::move(scopes);
  return prm;
}

TEST(OAuthScope, ChallengeScopeWins) {
  AuthChallenge challenge;
  challenge.scope = "files:read";
  const auto prm = prm_with_scopes(Strings{"a", "b"});
  EXPECT_EQ(initial_scope(challenge, &prm, AuthorizationServerMetadata{}), "files:read");
  EXPECT_EQ(initial_scope(challenge, nullptr, AuthorizationServerMetadata{}), "files:read");
}

TEST(OAuthScope, ElseAllPrmScopesSupported) {
  const auto prm = prm_with_scopes(Strings{"a", "b", "c"});
  EXPECT_EQ(initial_scope(AuthChallenge{}, &prm, AuthorizationServerMetadata{}), "a b c");
  AuthChallenge empty_scope;
  empty_scope.scope = "";
  EXPECT_EQ(initial_scope(empty_scope, &prm, AuthorizationServerMetadata{}), "a b c");
}

TEST(OAuthScope, ElseNone) {
  const auto prm = prm_with_scopes(std::nullopt);
  EXPECT_EQ(initial_scope(AuthChallenge{}, &prm, AuthorizationServerMetadata{}), std::nullopt);
  EXPECT_EQ(initial_scope(AuthChallenge{}, nullptr, AuthorizationServerMetadata{}), std::nullopt);
  const auto empty = prm_with_scopes(Strings{});
  EXPECT_EQ(initial_scope(AuthChallenge{}, &empty, AuthorizationServerMetadata{}), std::nullopt);
  AuthorizationServerMetadata without_offline;
  without_offline.scopes_supported = Strings{"openid", "profile"};
  EXPECT_EQ(initial_scope(AuthChallenge{}, &prm, without_offline), std::nullopt);
}

TEST(OAuthScope, OfflineAccessOnlyWhenAsListsIt) {
  AuthChallenge challenge;
  challenge.scope = "a b";
  AuthorizationServerMetadata m;
  EXPECT_EQ(initial_scope(challenge, nullptr, m), "a b");
  m.scopes_supported = Strings{"a", "b"};
  EXPECT_EQ(initial_scope(challenge, nullptr, m), "a b");
  m.scopes_supported = Strings{"a", "offline_access"};
  EXPECT_EQ(initial_scope(challenge, nullptr, m), "a b offline_access");
  challenge.scope = "offline_access a";
  EXPECT_EQ(initial_scope(challenge, nullptr, m), "offline_access a");  // not doubled
  // PRM scopes are taken as listed (the AS list alone decides on adding offline_access).
  const auto prm = prm_with_scopes(Strings{"x", "offline_access"});
  AuthorizationServerMetadata plain;
  EXPECT_EQ(initial_scope(AuthChallenge{}, &prm, plain), "x offline_access");
}

TEST(OAuthScope, UnionKeepsOrderAndDedups) {
  EXPECT_EQ(scope_union("a b", "b c a d"), "a b c d");
  EXPECT_EQ(scope_union("", "x y"), "x y");
  EXPECT_EQ(scope_union("x y", ""), "x y");
  EXPECT_EQ(scope_union("", ""), "");
  EXPECT_EQ(scope_union("  a   b ", "\tc a"), "a b c");
  EXPECT_EQ(scope_union("a b a", "b"), "a b");
  EXPECT_EQ(scope_union("c", "a a b"), "c a b");
}

TEST(OAuthScope, Covers) {
  // Each row: granted, wanted, whether the grant covers it.
  const struct {
    const char* granted;
    const char* wanted;
    bool covers;
  } cases[] = {{"a b c", "b a", true},
               {"a b c", "", true},
               {"", "", true},
               {"a", "a b", false},
               {"", "a", false},
               {"ab", "a", false},
               {"files:read", "files:write", false}};
  for (const auto& c : cases) EXPECT_EQ(scope_covers(c.granted, c.wanted), c.covers) << c.granted << " / " << c.wanted;
}

// One spelling, the token store's (kept so an older mcpauth reads the same rows).
TEST(OAuthClientKind, Names) {
  EXPECT_EQ(to_string(ClientKind::pre_registered), "pre_registered");
  EXPECT_EQ(to_string(ClientKind::metadata_document), "metadata_document");
  EXPECT_EQ(to_string(ClientKind::dynamic), "dynamic");
}

TEST(OAuthClientKind, ParsesItsOwnNamesAndTheEarlierJsonOnes) {
  for (const auto kind : {ClientKind::pre_registered, ClientKind::metadata_document, ClientKind::dynamic}) {
    EXPECT_EQ(parse_client_kind(to_string(kind)), kind) << to_string(kind);
  }
  EXPECT_EQ(parse_client_kind("pre-registered"), ClientKind::pre_registered);
  EXPECT_EQ(parse_client_kind("client-id-metadata-document"), ClientKind::metadata_document);
  EXPECT_EQ(parse_client_kind("metadata document"), std::nullopt);
  EXPECT_EQ(parse_client_kind("Dynamic"), std::nullopt);
  EXPECT_EQ(parse_client_kind(""), std::nullopt);
}

}  // namespace

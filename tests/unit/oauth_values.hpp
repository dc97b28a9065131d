// The OAuth values several core oauth tests share: secret-shaped strings (so
// a test can look for each in requests and messages) and a fixed clock.
#pragma once

#include <chrono>
#include <string>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::testing::oauth_values {

// RFC 7636 appendix B's code verifier and its S256 challenge.
inline constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
inline constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
inline constexpr const char* kCode = "CODE-SplxlOBeZQQYbYS6WxSbIA";
inline constexpr const char* kAccessToken = "AT-2YotnFZFEjr1zCsicMWpAA";
inline constexpr const char* kRefreshToken = "RT-tGzv3JOkF0XG5Qx2TlKWIA";
inline constexpr const char* kSecret = "SECRET-7Fjfp0ZBr1KtDRbnfVdmIw";
inline const core::oauth::Clock::time_point kNow{std::chrono::seconds(1'700'000'000)};

// A client of `issuer` registered as `client_id` that authenticates with
// `method`; every method but "none" has kSecret as its secret.
inline core::oauth::ClientRegistration registered_client(const std::string& issuer, const std::string& client_id,
                                                         const std::string& method) {
  core::oauth::ClientRegistration c;
  c.issuer = issuer;
  c.client_id = client_id;
  c.token_endpoint_auth_method = method;
  if (method != "none") c.client_secret = kSecret;
  return c;
}

}  // namespace mcpauth::testing::oauth_values

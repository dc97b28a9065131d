// private_key_jwt client assertions (RFC 7523 §2.2): a JWT signed with the
// client's key, iss = sub = client_id, aud = the authorization server.
// Internal to the library (not installed): auth signs its DPoP proofs with
// sign_jws, reaching it as "mcpauth_internal/core/..." through mcpauth_core.
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mcpauth::core::oauth::detail {

// A compact JWS of header.claims signed with `key` (ES256 or RS256 as the
// header's alg says; ECDSA signatures in JOSE's raw r||s form).
std::string sign_jws(EVP_PKEY* key, const nlohmann::json& header, const nlohmann::json& claims);

// Signs with ES256 (P-256 keys) or RS256 (RSA keys), from a PEM private key.
// Throws Error(usage) for a key it cannot use.
std::string make_client_assertion(std::string_view private_key_pem, std::string_view client_id,
                                  std::string_view audience, std::chrono::system_clock::time_point now,
                                  std::string_view jti);

}  // namespace mcpauth::core::oauth::detail

#include "mcpauth_internal/core/client_assertion.hpp"

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth::detail {
namespace {

struct Free {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};

[[noreturn]] void bad_key(const std::string& why) {
  throw Error(ErrorCode::usage, "cannot sign a client assertion: " + why);
}

}  // namespace

std::string sign_jws(EVP_PKEY* key, const nlohmann::json& header, const nlohmann::json& claims) {
  const std::string alg = header.value("alg", "");
  const std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    bad_key("signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    bad_key("signing failed");
  }
  signature.resize(length);

  if (alg == "ES256") {
    // JWS wants the raw r||s (32 bytes each), OpenSSL gives DER.
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    std::unique_ptr<ECDSA_SIG, Free> sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
    if (!sig) bad_key("unexpected signature encoding");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    signature = std::move(raw);
  }
  return signing_input + "." + base64url(signature);
}

std::string make_client_assertion(std::string_view private_key_pem, std::string_view client_id,
                                  std::string_view audience, std::chrono::system_clock::time_point now,
                                  std::string_view jti) {
  std::unique_ptr<BIO, Free> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  std::unique_ptr<EVP_PKEY, Free> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) bad_key("the private key is not a PEM private key");
  const int type = EVP_PKEY_base_id(key.get());
  std::string alg;
  if (type == EVP_PKEY_EC) {
    if (EVP_PKEY_get_bits(key.get()) != 256) bad_key("only P-256 EC keys (ES256) are supported");
    alg = "ES256";
  } else if (type == EVP_PKEY_RSA) {
    alg = "RS256";
  } else {
    bad_key("only EC P-256 and RSA keys are supported");
  }

  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}};
  const nlohmann::json claims = {{"iss", client_id}, {"sub", client_id}, {"aud", audience},
                                 {"iat", iat},       {"exp", iat + 300}, {"jti", jti}};
  return sign_jws(key.get(), header, claims);
}

}  // namespace mcpauth::core::oauth::detail

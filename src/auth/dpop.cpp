#include "mcpauth/auth/dpop.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/core/client_assertion.hpp"

namespace mcpauth::auth {
namespace {

std::string coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw Error(ErrorCode::store, "cannot read the DPoP public key");
  std::string bytes(32, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), 32);
  BN_free(bn);
  return core::oauth::base64url(bytes);
}

// htu is the request URL without query and fragment (RFC 9449 §4.2).
std::string htu_of(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace

struct DpopKey::Impl {
  EVP_PKEY* key = nullptr;
  nlohmann::json jwk;
  ~Impl() { EVP_PKEY_free(key); }
};

DpopKey::DpopKey() : impl_(std::make_unique<Impl>()) {
  impl_->key = EVP_EC_gen("P-256");
  if (!impl_->key) throw Error(ErrorCode::store, "cannot generate a DPoP key");
  init_jwk();
}

DpopKey::DpopKey(const std::string& private_key_pem) : impl_(std::make_unique<Impl>()) {
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  if (bio) impl_->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!impl_->key || !EVP_PKEY_is_a(impl_->key, "EC") || EVP_PKEY_get_bits(impl_->key) != 256) {
    throw Error(ErrorCode::store, "a stored DPoP key is not a P-256 private key; log in again");
  }
  init_jwk();
}

std::string DpopKey::private_key_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio || PEM_write_bio_PrivateKey(bio, impl_->key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    BIO_free(bio);
    throw Error(ErrorCode::store, "cannot export the DPoP key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

void DpopKey::init_jwk() {
  impl_->jwk = {{"kty", "EC"},
                {"crv", "P-256"},
                {"x", coordinate(impl_->key, OSSL_PKEY_PARAM_EC_PUB_X)},
                {"y", coordinate(impl_->key, OSSL_PKEY_PARAM_EC_PUB_Y)}};
}

DpopKey::~DpopKey() = default;

std::string DpopKey::proof(std::string_view method, std::string_view url,
                           const std::optional<std::string>& access_token,
                           const std::optional<std::string>& nonce) const {
  std::array<unsigned char, 16> jti{};
  if (RAND_bytes(jti.data(), static_cast<int>(jti.size())) != 1)
    throw Error(ErrorCode::store, "the system's random number generator failed while making a DPoP proof");
  const auto iat =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", impl_->jwk}};
  nlohmann::json claims = {{"jti", core::oauth::base64url(std::span<const std::uint8_t>(jti.data(), jti.size()))},
                           {"htm", method},
                           {"htu", htu_of(url)},
                           {"iat", iat}};
  if (access_token) claims["ath"] = core::oauth::base64url(core::oauth::sha256(*access_token));
  if (nonce) claims["nonce"] = *nonce;
  return core::oauth::detail::sign_jws(impl_->key, header, claims);
}

}  // namespace mcpauth::auth

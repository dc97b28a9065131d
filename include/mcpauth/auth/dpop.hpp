// DPoP (RFC 9449): sender-constrained tokens. A fresh P-256 key per
// Authorizer; every token request and every request that carries a DPoP
// token gets a new proof (unique jti, the method, the URL without query,
// the access token's hash, and the server's nonce when it asked for one).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::auth {

class DpopKey {
 public:
  DpopKey();  // generates the key pair
  // A key saved with private_key_pem(); throws Error(store) if it is not a P-256 key.
  explicit DpopKey(const std::string& private_key_pem);
  ~DpopKey();
  DpopKey(const DpopKey&) = delete;
  DpopKey& operator=(const DpopKey&) = delete;

  std::string proof(std::string_view method, std::string_view url, const std::optional<std::string>& access_token,
                    const std::optional<std::string>& nonce) const;
  // PKCS#8 PEM, so tokens bound to this key stay usable after a restart (stored encrypted).
  std::string private_key_pem() const;

 private:
  void init_jwk();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpauth::auth

// Where authorization results live: client registrations keyed by the
// authorization server's issuer, tokens keyed by (resource, issuer,
// client_id, account), as the MCP specification requires (a token is never
// offered to another server, a client id never to another issuer).
// MemoryCredentialStore keeps them for the life of the process; the
// persistent, encrypted store implements the same interface.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::auth {

struct TokenKey {
  std::string resource;
  std::string issuer;
  std::string client_id;
  std::string account;
  auto tie() const { return std::tie(resource, issuer, client_id, account); }
  bool operator<(const TokenKey& other) const { return tie() < other.tie(); }
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  virtual std::optional<core::oauth::ClientRegistration> load_client(const std::string& issuer) = 0;
  virtual void save_client(const core::oauth::ClientRegistration& client) = 0;
  virtual void remove_client(const std::string& issuer) = 0;
  virtual std::optional<core::oauth::TokenSet> load_tokens(const TokenKey& key) = 0;
  virtual void save_tokens(const TokenKey& key, const core::oauth::TokenSet& tokens) = 0;
  virtual void remove_tokens(const TokenKey& key) = 0;
};

class MemoryCredentialStore final : public CredentialStore {
 public:
  std::optional<core::oauth::ClientRegistration> load_client(const std::string& issuer) override;
  void save_client(const core::oauth::ClientRegistration& client) override;
  void remove_client(const std::string& issuer) override;
  std::optional<core::oauth::TokenSet> load_tokens(const TokenKey& key) override;
  void save_tokens(const TokenKey& key, const core::oauth::TokenSet& tokens) override;
  void remove_tokens(const TokenKey& key) override;

 private:
  std::mutex mutex_;
  std::map<std::string, core::oauth::ClientRegistration> clients_;
  std::map<TokenKey, core::oauth::TokenSet> tokens_;
};

}  // namespace mcpauth::auth

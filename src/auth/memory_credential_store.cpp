#include "mcpauth/auth/credential_store.hpp"

namespace mcpauth::auth {

std::optional<core::oauth::ClientRegistration> MemoryCredentialStore::load_client(const std::string& issuer) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(issuer);
  if (it == clients_.end()) return std::nullopt;
  return it->second;
}

void MemoryCredentialStore::save_client(const core::oauth::ClientRegistration& client) {
  std::lock_guard lock(mutex_);
  clients_[client.issuer] = client;
}

void MemoryCredentialStore::remove_client(const std::string& issuer) {
  std::lock_guard lock(mutex_);
  clients_.erase(issuer);
}

std::optional<core::oauth::TokenSet> MemoryCredentialStore::load_tokens(const TokenKey& key) {
  std::lock_guard lock(mutex_);
  const auto it = tokens_.find(key);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

void MemoryCredentialStore::save_tokens(const TokenKey& key, const core::oauth::TokenSet& tokens) {
  std::lock_guard lock(mutex_);
  tokens_[key] = tokens;
}

void MemoryCredentialStore::remove_tokens(const TokenKey& key) {
  std::lock_guard lock(mutex_);
  tokens_.erase(key);
}

}  // namespace mcpauth::auth

// The in-memory TokenStore: one mutex serializes everything, which also
// makes update_tokens() single-flight between the threads of the process.
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {
namespace {

using core::oauth::ClientRegistration;
using core::oauth::TokenSet;

class MemoryTokenStore final : public TokenStore {
 public:
  std::optional<ClientRegistration> load_client(const std::string& issuer) override {
    std::lock_guard lock(mutex_);
    const auto it = clients_.find(issuer);
    if (it == clients_.end()) return std::nullopt;
    return it->second;
  }
  void save_client(const ClientRegistration& client) override {
    std::lock_guard lock(mutex_);
    clients_[client.issuer] = client;
  }
  void remove_client(const std::string& issuer) override {
    std::lock_guard lock(mutex_);
    clients_.erase(issuer);
  }
  std::vector<ClientRegistration> list_clients() override {
    std::lock_guard lock(mutex_);
    std::vector<ClientRegistration> out;
    for (const auto& [issuer, client] : clients_) out.push_back(client);
    return out;
  }

  std::optional<TokenSet> load_tokens(const TokenKey& key) override {
    std::lock_guard lock(mutex_);
    const auto it = tokens_.find(key);
    if (it == tokens_.end()) return std::nullopt;
    return it->second.tokens;
  }
  void save_tokens(const TokenKey& key, const TokenSet& tokens) override {
    std::lock_guard lock(mutex_);
    tokens_[key] = GrantRecord{key, tokens, Clock::now(), std::nullopt};
  }
  void remove_tokens(const TokenKey& key) override {
    std::lock_guard lock(mutex_);
    tokens_.erase(key);
  }
  std::vector<GrantRecord> list_grants() override {
    std::lock_guard lock(mutex_);
    std::vector<GrantRecord> out;
    for (const auto& [key, grant] : tokens_) out.push_back(grant);
    return out;
  }
  std::optional<TokenSet> update_tokens(const TokenKey& key, const TokenUpdate& update) override {
    std::lock_guard lock(mutex_);
    const auto it = tokens_.find(key);
    std::optional<TokenSet> current;
    if (it != tokens_.end()) current = it->second.tokens;
    TokenDecision decision = update(current);
    switch (decision.action) {
      case TokenDecision::Action::keep: return current;
      case TokenDecision::Action::replace:
        tokens_[key] = GrantRecord{key, decision.tokens, Clock::now(), std::nullopt};
        return decision.tokens;
      case TokenDecision::Action::remove: tokens_.erase(key); return std::nullopt;
    }
    return current;
  }

  std::optional<DiscoveryRecord> load_discovery(const std::string& server_url) override {
    std::lock_guard lock(mutex_);
    const auto it = discovery_.find(server_url);
    if (it == discovery_.end()) return std::nullopt;
    return it->second;
  }
  void save_discovery(const DiscoveryRecord& record) override {
    std::lock_guard lock(mutex_);
    discovery_[record.server_url] = record;
  }
  void remove_discovery(const std::string& server_url) override {
    std::lock_guard lock(mutex_);
    discovery_.erase(server_url);
  }

  std::vector<DiscoveryRecord> list_discovery() override {
    std::lock_guard lock(mutex_);
    std::vector<DiscoveryRecord> out;
    for (const auto& [url, record] : discovery_) out.push_back(record);
    return out;
  }

  bool claim_flow(const std::string& flow_key, std::chrono::seconds ttl) override {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    const auto it = flows_.find(flow_key);
    if (it != flows_.end() && it->second > now) return false;
    flows_[flow_key] = now + ttl;
    return true;
  }
  void release_flow(const std::string& flow_key) override {
    std::lock_guard lock(mutex_);
    flows_.erase(flow_key);
  }
  bool flow_claimed(const std::string& flow_key) override {
    std::lock_guard lock(mutex_);
    const auto it = flows_.find(flow_key);
    return it != flows_.end() && it->second > Clock::now();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, ClientRegistration> clients_;
  std::map<TokenKey, GrantRecord> tokens_;
  std::map<std::string, DiscoveryRecord> discovery_;
  std::map<std::string, Clock::time_point> flows_;
};

}  // namespace

std::shared_ptr<TokenStore> make_memory_token_store() {
  return std::make_shared<MemoryTokenStore>();
}

}  // namespace mcpauth::store

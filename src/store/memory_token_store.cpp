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

// Records kept by key, each call under the store's one lock.
template <typename Key, typename Record>
class Table {
 public:
  explicit Table(std::mutex& mutex) : mutex_(mutex) {}
  std::optional<Record> load(const Key& key) const {
    std::lock_guard lock(mutex_);
    const auto it = rows_.find(key);
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void save(const Key& key, const Record& record) {
    std::lock_guard lock(mutex_);
    rows_[key] = record;
  }
  void remove(const Key& key) {
    std::lock_guard lock(mutex_);
    rows_.erase(key);
  }
  std::vector<Record> list() const {
    std::lock_guard lock(mutex_);
    std::vector<Record> out;
    for (const auto& [key, record] : rows_) out.push_back(record);
    return out;
  }
  // For a caller that holds the lock already (a read-modify-write).
  std::map<Key, Record>& rows_locked() { return rows_; }

 private:
  std::mutex& mutex_;
  std::map<Key, Record> rows_;
};

class MemoryTokenStore final : public TokenStore {
 public:
  std::optional<ClientRegistration> load_client(const std::string& issuer) override { return clients_.load(issuer); }
  void save_client(const ClientRegistration& client) override { clients_.save(client.issuer, client); }
  void remove_client(const std::string& issuer) override { clients_.remove(issuer); }
  std::vector<ClientRegistration> list_clients() override { return clients_.list(); }

  std::optional<TokenSet> load_tokens(const TokenKey& key) override {
    auto grant = grants_.load(key);
    return grant ? std::optional(std::move(grant->tokens)) : std::nullopt;
  }
  void save_tokens(const TokenKey& key, const TokenSet& tokens) override {
    grants_.save(key, GrantRecord{key, tokens, Clock::now(), std::nullopt});
  }
  void remove_tokens(const TokenKey& key) override { grants_.remove(key); }
  std::vector<GrantRecord> list_grants() override { return grants_.list(); }
  std::optional<TokenSet> update_tokens(const TokenKey& key, const TokenUpdate& update) override {
    std::lock_guard lock(mutex_);
    auto& grants = grants_.rows_locked();
    const auto it = grants.find(key);
    std::optional<TokenSet> current;
    if (it != grants.end()) current = it->second.tokens;
    TokenDecision decision = update(current);
    switch (decision.action) {
      case TokenDecision::Action::keep: return current;
      case TokenDecision::Action::replace:
        grants[key] = GrantRecord{key, decision.tokens, Clock::now(), std::nullopt};
        return decision.tokens;
      case TokenDecision::Action::remove: grants.erase(key); return std::nullopt;
    }
    return current;
  }

  std::optional<DiscoveryRecord> load_discovery(const std::string& server_url) override {
    return discovery_.load(server_url);
  }
  void save_discovery(const DiscoveryRecord& record) override { discovery_.save(record.server_url, record); }
  void remove_discovery(const std::string& server_url) override { discovery_.remove(server_url); }
  std::vector<DiscoveryRecord> list_discovery() override { return discovery_.list(); }

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
  Table<std::string, ClientRegistration> clients_{mutex_};  // by issuer
  Table<TokenKey, GrantRecord> grants_{mutex_};
  Table<std::string, DiscoveryRecord> discovery_{mutex_};  // by server URL
  std::map<std::string, Clock::time_point> flows_;
};

}  // namespace

std::shared_ptr<TokenStore> make_memory_token_store() {
  return std::make_shared<MemoryTokenStore>();
}

}  // namespace mcpauth::store

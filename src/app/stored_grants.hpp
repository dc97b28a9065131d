// What the store holds, read once per command (every grant is decrypted
// once, not once per server): the discovery records by server URL, and the
// grants (one per account) each record explains by resource and issuer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::app {

struct ServerGrants {
  std::string url;
  std::optional<store::DiscoveryRecord> discovery;
  std::vector<store::GrantRecord> grants;
};

class StoredGrants {
 public:
  explicit StoredGrants(store::TokenStore& store);

  ServerGrants for_server(const std::string& server_url) const;
  // Every server the store has discovered, in URL order.
  const std::vector<store::DiscoveryRecord>& servers() const { return records_; }
  // Grants whose resource and issuer match no discovery record (a server
  // whose URL changed, or written by an embedder): listed by resource.
  std::vector<store::GrantRecord> unattached() const;

 private:
  std::vector<store::DiscoveryRecord> records_;
  std::vector<store::GrantRecord> grants_;
};

}  // namespace mcpauth::app

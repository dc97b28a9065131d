// What the store holds for a server: the discovery record found under its
// URL and the grants (one per account) made for its resource at its issuer.
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

ServerGrants grants_for(store::TokenStore& store, const std::string& server_url);

// Grants whose resource and issuer match no stored discovery record (a
// server whose URL changed, or written by an embedder): listed by resource.
std::vector<store::GrantRecord> unattached_grants(store::TokenStore& store);

}  // namespace mcpauth::app

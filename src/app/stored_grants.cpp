#include "stored_grants.hpp"

#include <algorithm>

namespace mcpauth::app {
namespace {

bool belongs_to(const store::GrantRecord& grant, const store::DiscoveryRecord& record) {
  return grant.key.resource == record.resource.value_or(record.server_url) && grant.key.issuer == record.issuer;
}

}  // namespace

StoredGrants::StoredGrants(store::TokenStore& store) : records_(store.list_discovery()), grants_(store.list_grants()) {}

ServerGrants StoredGrants::for_server(const std::string& server_url) const {
  ServerGrants out;
  out.url = server_url;
  const auto record = std::find_if(records_.begin(), records_.end(),
                                   [&](const store::DiscoveryRecord& r) { return r.server_url == server_url; });
  if (record == records_.end()) return out;
  out.discovery = *record;
  for (const auto& grant : grants_) {
    if (belongs_to(grant, *record)) out.grants.push_back(grant);
  }
  return out;
}

std::vector<store::GrantRecord> StoredGrants::unattached() const {
  std::vector<store::GrantRecord> out;
  for (const auto& grant : grants_) {
    const bool attached = std::any_of(records_.begin(), records_.end(),
                                      [&](const store::DiscoveryRecord& r) { return belongs_to(grant, r); });
    if (!attached) out.push_back(grant);
  }
  return out;
}

}  // namespace mcpauth::app

#include "stored_grants.hpp"

namespace mcpauth::app {
namespace {

bool belongs_to(const store::GrantRecord& grant, const store::DiscoveryRecord& record) {
  return grant.key.resource == record.resource.value_or(record.server_url) && grant.key.issuer == record.issuer;
}

}  // namespace

ServerGrants grants_for(store::TokenStore& store, const std::string& server_url) {
  ServerGrants out;
  out.url = server_url;
  out.discovery = store.load_discovery(server_url);
  if (!out.discovery) return out;
  for (auto& grant : store.list_grants()) {
    if (belongs_to(grant, *out.discovery)) out.grants.push_back(std::move(grant));
  }
  return out;
}

std::vector<store::GrantRecord> unattached_grants(store::TokenStore& store) {
  const auto records = store.list_discovery();
  std::vector<store::GrantRecord> out;
  for (auto& grant : store.list_grants()) {
    bool attached = false;
    for (const auto& record : records) attached = attached || belongs_to(grant, record);
    if (!attached) out.push_back(std::move(grant));
  }
  return out;
}

}  // namespace mcpauth::app

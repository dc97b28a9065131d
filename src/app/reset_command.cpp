// `mcpauth reset SERVER`: logout (revoke, then delete the grants), then
// forget the server's discovery record and its issuer's client registration
// when no other stored grant uses it, so the next login starts from nothing.
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/url.hpp"
#include "server_config.hpp"

namespace mcpauth::app {

int run_reset(const ResetArgs& args) {
  const EnvLookup env = process_environment();
  const std::optional<Config> config = load_config_option(args.config_path, env);
  const ServerConfig server = resolve_server(args.target, config, env);
  const std::string url = core::parse_url(server.url).text;

  // Revocation and deletion as `logout` does them: one account, or every one.
  run_logout({args.target, args.config_path, args.account, args.account.empty()});

  auto store = open_user_store(env);
  const auto record = store->load_discovery(url);
  if (!record) {
    std::cout << "No discovery is stored for " << url << ".\n";
    return kExitOk;
  }
  const auto grants = store->list_grants();
  const auto uses = [&](const store::GrantRecord& g) { return g.key.issuer == record->issuer; };
  const std::string resource = record->resource.value_or(url);
  const bool server_in_use = std::any_of(
      grants.begin(), grants.end(), [&](const store::GrantRecord& g) { return uses(g) && g.key.resource == resource; });
  if (server_in_use) {
    std::cout << "Kept the discovery of " << url << ": other accounts still hold grants there.\n";
    return kExitOk;
  }
  store->remove_discovery(url);
  std::cout << "Forgot the discovery of " << url << " (authorization server " << core::printable(record->issuer)
            << ").\n";
  if (std::none_of(grants.begin(), grants.end(), uses) && store->load_client(record->issuer)) {
    store->remove_client(record->issuer);
    std::cout << "Forgot the client registration at " << core::printable(record->issuer) << ".\n";
  }
  return kExitOk;
}

}  // namespace mcpauth::app

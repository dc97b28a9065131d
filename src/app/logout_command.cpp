// `mcpauth logout`: revoke at the authorization server, then delete here.
#include <algorithm>
#include <iostream>
#include <set>

#include "commands.hpp"
#include "debug_log.hpp"
#include "exit_codes.hpp"
#include "mcpauth/auth/revocation.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/url.hpp"
#include "server_config.hpp"
#include "stored_grants.hpp"

namespace mcpauth::app {
namespace {

struct Target {
  std::string url;  // "" for a grant no discovery record explains
  std::optional<store::DiscoveryRecord> discovery;
  store::GrantRecord grant;
};

std::string describe(const Target& t) {
  std::string text = t.url.empty() ? t.grant.key.resource : t.url;
  if (!t.grant.key.account.empty()) text += " (account " + t.grant.key.account + ")";
  return text;
}

std::vector<Target> every_grant(const StoredGrants& stored) {
  std::vector<Target> out;
  for (const auto& record : stored.servers()) {
    for (auto& grant : stored.for_server(record.server_url).grants) out.push_back({record.server_url, record, grant});
  }
  for (auto& grant : stored.unattached()) out.push_back({"", std::nullopt, grant});
  return out;
}

// The grants of one server that the command line names, and what a
// message needs when none does: the URL, the account, the accounts stored.
struct ServerSelection {
  std::string url;
  std::string account;
  std::vector<Target> targets;
  std::vector<std::string> other_accounts;
};

ServerSelection grants_of_server(const StoredGrants& stored, const LogoutArgs& args, const EnvLookup& env) {
  const std::optional<Config> config = load_config_option(args.config_path, env);
  const ServerConfig server = resolve_server(args.target, config, env);
  ServerSelection out;
  out.account = args.account.empty() ? server.account : args.account;
  out.url = core::parse_url(server.url).text;
  ServerGrants found = stored.for_server(out.url);
  for (auto& grant : found.grants) {
    if (args.all || grant.key.account == out.account) {
      out.targets.push_back({found.url, found.discovery, grant});
    } else if (std::find(out.other_accounts.begin(), out.other_accounts.end(), grant.key.account) ==
               out.other_accounts.end()) {
      out.other_accounts.push_back(grant.key.account);  // one per account, whatever its issuers
    }
  }
  return out;
}

std::string account_words(const std::string& account) {
  return account.empty() ? std::string("the default account") : "account \"" + core::printable(account) + "\"";
}

// Why nothing was logged out of, naming what was asked for and what is there instead.
std::string nothing_stored(const LogoutArgs& args, const ServerSelection& selection) {
  if (args.target.empty()) return "Nothing to log out of: no tokens are stored.";
  if (args.all) return "Nothing to log out of: no tokens are stored for " + args.target + ".";
  std::string text =
      "Nothing to log out of: no stored grant for " + account_words(selection.account) + " at " + selection.url;
  if (!selection.other_accounts.empty()) {
    text += " (stored there: ";
    for (std::size_t i = 0; i < selection.other_accounts.size(); ++i) {
      text += (i == 0 ? "" : ", ") + account_words(selection.other_accounts[i]);
    }
    text += ")";
  }
  return text + ".";
}

// Revokes each target's grant where the authorization server allows it and
// deletes it here whatever the server said, one line per grant.
void log_out_of(store::TokenStore& store, const std::vector<Target>& targets, const EnvLookup& env) {
  if (targets.empty()) return;
  const auto http = logged_curl_client(env);
  for (const auto& target : targets) {
    const auto outcome =
        auth::revoke_grant(*http, store, target.grant, target.discovery, std::chrono::milliseconds(30'000));
    store.remove_tokens(target.grant.key);  // whatever the authorization server said
    if (outcome.grant_revoked) {
      std::cout << "Logged out of " << describe(target) << ": revoked at " << target.grant.key.issuer
                << " and deleted here.\n";
    } else {
      std::cout << "Logged out of " << describe(target) << ": deleted here, NOT revoked at the authorization "
                << "server.\n";
    }
    for (const auto& problem : outcome.problems) std::cerr << "mcpauth: note: " << problem << '\n';
  }
}

}  // namespace

void log_out_account(store::TokenStore& store, const std::string& account) {
  auto targets = every_grant(StoredGrants(store));
  std::erase_if(targets, [&](const Target& t) { return t.grant.key.account != account; });
  log_out_of(store, targets, process_environment());
}

int run_logout(const LogoutArgs& args) {
  const EnvLookup env = process_environment();
  if (args.target.empty() && !args.all) {
    throw Error(ErrorCode::usage, "name a server to log out of, or pass --all to log out of every stored server");
  }
  auto store = open_user_store(env);
  const StoredGrants stored(*store);
  ServerSelection selection;
  if (!args.target.empty()) selection = grants_of_server(stored, args, env);
  const auto targets = args.target.empty() ? every_grant(stored) : selection.targets;
  // `--all` also forgets client registrations (a wrong pre-registered client
  // included), so the next login starts clean: every one without a target,
  // else those of this server's authorization servers.
  std::set<std::string> registrations;
  if (args.all && args.target.empty()) {
    for (const auto& client : store->list_clients()) registrations.insert(client.issuer);
  } else if (args.all) {
    for (const auto& target : targets) registrations.insert(target.grant.key.issuer);
  }
  if (targets.empty() && registrations.empty()) {
    std::cout << nothing_stored(args, selection) << '\n';
    return kExitOk;
  }
  log_out_of(*store, targets, env);
  for (const auto& grant : store->list_grants()) registrations.erase(grant.key.issuer);  // still in use elsewhere
  for (const auto& issuer : registrations) {
    store->remove_client(issuer);
    std::cout << "Forgot the client registration at " << issuer << ".\n";
  }
  return kExitOk;
}

}  // namespace mcpauth::app

// Where authorization results live, keyed as the MCP specification requires:
// client registrations by the authorization server's issuer (a client id is
// never offered to another issuer), tokens by (canonical resource, issuer,
// client id, account) (a token is never offered to another server), and the
// discovery state of each server so a reconnect needs no discovery request.
//
// Three: MemoryTokenStore (one process, tests), SqliteTokenStore (the default:
// encrypted, shared by the user's mcpauth processes), PostgresTokenStore
// (instances sharing one database). Everything that must hold across processes
// is in this interface: the per-grant lock of update_tokens() and the flow
// claims that let one process run a browser consent while its siblings wait.
//
// Threading: implementations must be safe to call from several threads at
// once (an Authorizer's apply() and on_rejected() run on the transports'
// threads, and a gateway shares one store across all its sessions). All
// three implementations here are.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::store {

using Clock = core::oauth::Clock;

struct TokenKey {
  std::string resource;  // the canonical resource URI the token is for
  std::string issuer;
  std::string client_id;
  std::string account;  // "" is the default account
  auto tie() const { return std::tie(resource, issuer, client_id, account); }
  bool operator<(const TokenKey& other) const { return tie() < other.tie(); }
  bool operator==(const TokenKey& other) const { return tie() == other.tie(); }
};

// What discovery found for one MCP server: enough to refresh, revoke and
// report without fetching anything again. The documents are kept as
// received and parsed (and validated) again when loaded.
struct DiscoveryRecord {
  std::string server_url;
  std::optional<std::string> resource;  // the resource value tokens are requested for (none: not sent)
  std::string issuer;
  std::string prm_url;   // "" when the server published none (2025-03-26 servers)
  std::string prm_body;  // the protected resource metadata document
  std::string as_url;    // "" when the metadata was defaulted
  std::string as_body;   // the authorization server metadata document
  Clock::time_point fetched_at{};
  // What the MCP server spoke last time (mcp::ProtocolMemory), so that a
  // reconnect skips the probes it answered: "" unknown.
  std::string protocol_version;
  std::string transport;  // "streamable-http" or "sse"
};

// A stored grant: the tokens and the key that finds them.
struct GrantRecord {
  TokenKey key;
  core::oauth::TokenSet tokens;
  Clock::time_point updated_at{};
  std::optional<std::string> error;  // set (and tokens empty) when the row cannot be decrypted
};

// What an update_tokens() callback decides for the grant it was shown.
struct TokenDecision {
  enum class Action { keep, replace, remove } action = Action::keep;
  core::oauth::TokenSet tokens;  // for replace

  static TokenDecision keep() { return {}; }
  static TokenDecision replace(core::oauth::TokenSet tokens) { return {Action::replace, std::move(tokens)}; }
  static TokenDecision remove() { return {Action::remove, {}}; }
};
using TokenUpdate = std::function<TokenDecision(const std::optional<core::oauth::TokenSet>& current)>;

// Client registrations, by the issuer that knows them.
class ClientStore {
 public:
  virtual ~ClientStore() = default;
  virtual std::optional<core::oauth::ClientRegistration> load_client(const std::string& issuer) = 0;
  virtual void save_client(const core::oauth::ClientRegistration& client) = 0;
  virtual void remove_client(const std::string& issuer) = 0;
  virtual std::vector<core::oauth::ClientRegistration> list_clients() = 0;
};

// Grants: the tokens of each (resource, issuer, client id, account).
class GrantStore {
 public:
  virtual ~GrantStore() = default;
  virtual std::optional<core::oauth::TokenSet> load_tokens(const TokenKey& key) = 0;
  virtual void save_tokens(const TokenKey& key, const core::oauth::TokenSet& tokens) = 0;
  virtual void remove_tokens(const TokenKey& key) = 0;
  virtual std::vector<GrantRecord> list_grants() = 0;
  // The grants of one resource at one issuer (of one account when given):
  // what a status of one server needs, without opening every grant of the
  // store. The default filters list_grants(); stores with an index override it.
  virtual std::vector<GrantRecord> list_grants_of(const std::string& resource, const std::string& issuer,
                                                  const std::optional<std::string>& account) {
    std::vector<GrantRecord> out;
    for (GrantRecord& grant : list_grants()) {
      if (grant.key.resource == resource && grant.key.issuer == issuer && (!account || grant.key.account == *account)) {
        out.push_back(std::move(grant));
      }
    }
    return out;
  }

  // Single flight per grant: shows `update` the grant's tokens as they are
  // now (re-read after the lock is taken: another thread or process may have
  // refreshed them meanwhile) while holding a lock that excludes every other
  // update_tokens() and save of this store, in this process and in others.
  // What `update` decides is written before the lock is released, so a
  // rotated refresh token is persisted before its access token is used.
  // Returns the grant's tokens afterwards. An exception from `update`
  // leaves the grant as it was.
  virtual std::optional<core::oauth::TokenSet> update_tokens(const TokenKey& key, const TokenUpdate& update) = 0;
};

// What discovery found for each MCP server (a cache: losing it costs requests, not grants).
class DiscoveryCache {
 public:
  virtual ~DiscoveryCache() = default;
  virtual std::optional<DiscoveryRecord> load_discovery(const std::string& server_url) = 0;
  virtual void save_discovery(const DiscoveryRecord& record) = 0;
  virtual void remove_discovery(const std::string& server_url) = 0;
  virtual std::vector<DiscoveryRecord> list_discovery() = 0;
};

// Who runs an interactive flow when several processes need the same consent.
class FlowCoordinator {
 public:
  virtual ~FlowCoordinator() = default;
  // A claim on an interactive flow (a browser consent) for `flow_key`, so
  // that of several processes needing consent for the same server only one
  // asks the user. True when this caller now holds the claim. A claim ends
  // with release_flow(), when `ttl` has passed, or when its process is gone.
  virtual bool claim_flow(const std::string& flow_key, std::chrono::seconds ttl) = 0;
  virtual void release_flow(const std::string& flow_key) = 0;
  // Whether a live claim (this process's or another's) exists.
  virtual bool flow_claimed(const std::string& flow_key) = 0;
};

// All four, as the Authorizer, the CLI and the gateway use them; every
// store here implements it. An embedder with its own persistence may
// implement the parts it keeps and delegate the rest (e.g. to
// make_memory_token_store()).
class TokenStore : public ClientStore, public GrantStore, public DiscoveryCache, public FlowCoordinator {};

// Everything in memory, for one process (tests, embedders with their own persistence).
std::shared_ptr<TokenStore> make_memory_token_store();

}  // namespace mcpauth::store

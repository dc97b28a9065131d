// Browser flows relayed between gateway instances that share one store, so
// that the redirect of a consent (GET /oauth/callback) completes on
// whichever instance a load balancer sends it to.
//
// The instance that started the flow (the owner) keeps its PKCE verifier and
// its waiting Authorizer in memory, and opens a row keyed by the SHA-256 of
// the flow's state (never the state). Another instance that receives the
// redirect delivers its parameters into that row, once, sealed with the
// store's key; the owner takes them, runs the token exchange, and writes the
// outcome (authorized, or failed with a reason that holds no secret), which
// the delivering instance reads (deleting the row) to show the browser. An
// owner that is gone (its process ended on this host, or it has not shown
// itself for kBrowserFlowOwnerSilence) is reported at once and its row
// deleted; expired rows are purged.
//
// SqliteTokenStore and PostgresTokenStore implement BrowserFlowRelay;
// browser_flow_relay() finds it. A store without it (the memory store, an
// embedder's own) serves one instance: its callbacks come back to it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {

// The bounds every implementation holds to: a flood of Authorize clicks
// replaces an account's oldest rows instead of growing the table, and a
// redirect's parameters are bounded as the callback handler bounds them.
inline constexpr std::size_t kMaxBrowserFlowsPerAccount = 16;
inline constexpr std::size_t kMaxBrowserFlowFields = 32;
inline constexpr std::size_t kMaxBrowserFlowFieldBytes = 16 * 1024;  // names and values together
inline constexpr std::size_t kMaxBrowserFlowReturnTo = 2048;
inline constexpr std::size_t kMaxBrowserFlowReason = 512;
// An owner refreshes its rows (heartbeat_browser_flows) far more often than
// this; one silent for longer is taken for gone (another host's process
// cannot be asked).
inline constexpr std::chrono::seconds kBrowserFlowOwnerSilence{15};
// How long a finished flow's outcome waits for the delivering instance to read it.
inline constexpr std::chrono::seconds kBrowserFlowOutcomeKeep{120};

struct BrowserFlowStart {
  std::string state_hash;  // base64url of the SHA-256 of the state (43 characters)
  std::string account;     // whose grant the flow makes ("" the default account)
  std::string server;      // the gateway's name of the server
  std::optional<std::string> return_to;
  std::chrono::milliseconds ttl{};  // the consent timeout
};

struct DeliveredBrowserFlow {
  std::string state_hash;
  core::oauth::FormFields fields;  // the redirect's parameters, as the delivering instance received them
};

enum class BrowserFlowDelivery {
  delivered,   // handed to the owner: wait for browser_flow_outcome()
  unknown,     // no such flow (never, expired, used already, or this instance's own)
  owner_gone,  // the instance that started it stopped; the row is deleted
};

struct BrowserFlowHandoff {
  BrowserFlowDelivery result = BrowserFlowDelivery::unknown;
  std::optional<std::string> return_to;  // where the owner sends the browser afterwards (as opened)
};

struct BrowserFlowOutcome {
  enum class State {
    running,     // the owner has not finished yet
    authorized,  // final (the row is deleted)
    failed,      // final: `reason` says why (the row is deleted)
    owner_gone,  // final: the owner stopped before finishing (the row is deleted)
    gone,        // no row: expired, withdrawn, or read already
  } state = State::gone;
  std::string reason;
  std::optional<std::string> return_to;  // as the owner last knew it
};

class BrowserFlowRelay {
 public:
  virtual ~BrowserFlowRelay() = default;

  // ---- the owner's side (the instance whose Authorizer waits) ----------------

  // Opens the row of a flow this store's process waits for; purges expired
  // rows and deletes the account's oldest beyond kMaxBrowserFlowsPerAccount.
  // Throws Error(usage) for a value over its bound.
  virtual void open_browser_flow(const BrowserFlowStart& start) = 0;
  // This store's rows that another instance delivered and that were not
  // taken yet: taken now (their sealed parameters are cleared from the row).
  virtual std::vector<DeliveredBrowserFlow> take_delivered_browser_flows() = 0;
  // This store's rows are alive (called while any is open).
  virtual void heartbeat_browser_flows() = 0;
  // The flow of a taken row ended: nullopt authorized, else why it failed
  // (cut to kMaxBrowserFlowReason). The row is kept for kBrowserFlowOutcomeKeep.
  virtual void finish_browser_flow(const std::string& state_hash, const std::optional<std::string>& failure,
                                   const std::optional<std::string>& return_to) = 0;
  // The flow no longer waits (it ended, or its callback came to this
  // instance): this store's row is deleted unless it was taken.
  virtual void withdraw_browser_flow(const std::string& state_hash) = 0;

  // ---- the side of the instance the browser came back to ---------------------

  // Single use: the first delivery of a live row of another instance's flow
  // seals `fields` into it; every later one (and one for this store's own
  // rows, which come back in memory) is unknown. Throws Error(usage) for
  // fields over kMaxBrowserFlowFields or kMaxBrowserFlowFieldBytes.
  virtual BrowserFlowHandoff deliver_browser_flow(const std::string& state_hash,
                                                  const core::oauth::FormFields& fields) = 0;
  // How the delivered flow stands; a final state is read once (the row is deleted).
  virtual BrowserFlowOutcome browser_flow_outcome(const std::string& state_hash) = 0;
};

// The store's relay; nullptr when `store` has none.
std::shared_ptr<BrowserFlowRelay> browser_flow_relay(const std::shared_ptr<TokenStore>& store);

}  // namespace mcpauth::store

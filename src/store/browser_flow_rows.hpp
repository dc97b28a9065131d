// The browser-flow relay's table in both persistent stores (SQLite
// `browser_flows`, PostgreSQL `mcpauth_browser_flows`; browser_flows.hpp
// says what it is for). Each function runs on a connection the store leased;
// `me` is the store's process, whose rows are its own.
//
// A row: the SHA-256 of the state (the key; never the state), the account
// and server, the owner (host:pid:nonce, host, pid, start time), return_to,
// the times (created, last seen, expiry), whether another instance
// delivered the redirect and whether the owner took it, the redirect's
// parameters sealed under the store's key (with its key id), and the outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flow_owner.hpp"
#include "key_set.hpp"
#include "mcpauth/store/browser_flows.hpp"

namespace mcpauth::store::detail {

class Database;
class PgConnection;

struct RelayIdentity {
  std::string owner;  // host:pid:nonce, unique per store object even where pids repeat
  std::string host;
  ProcessIdentity process;
};

// Throws Error(usage) for a value over its bound (the values are never repeated).
void check_browser_flow_start(const BrowserFlowStart& start);
void check_browser_flow_hash(const std::string& state_hash);
void check_browser_flow_fields(const core::oauth::FormFields& fields);

// The redirect's parameters sealed for the row of `state_hash` (a sealed
// value moved to another row does not open there).
std::string seal_browser_flow_fields(const KeySet& keys, const std::string& state_hash,
                                     const core::oauth::FormFields& fields);
// Empty when the value does not open (damaged, or under a key this store
// lacks): the owner's flow then fails on the missing state, as it should.
core::oauth::FormFields open_browser_flow_fields(const KeySet& keys, const std::optional<std::string>& key_id,
                                                 const std::string& state_hash, const std::string& sealed);

// Whether the owner of a row is gone: not `me`, and silent for
// kBrowserFlowOwnerSilence, or a process of this host that no longer runs.
bool browser_flow_owner_gone(const RelayIdentity& me, const std::string& owner, const std::string& host,
                             const ProcessIdentity& process, bool silent);

std::string cut_browser_flow_reason(const std::string& reason);

void open_browser_flow(Database& db, const RelayIdentity& me, const BrowserFlowStart& start);
std::vector<DeliveredBrowserFlow> take_delivered_browser_flows(Database& db, const KeySet& keys,
                                                               const RelayIdentity& me);
void heartbeat_browser_flows(Database& db, const RelayIdentity& me);
void finish_browser_flow(Database& db, const RelayIdentity& me, const std::string& state_hash,
                         const std::optional<std::string>& failure, const std::optional<std::string>& return_to);
void withdraw_browser_flow(Database& db, const RelayIdentity& me, const std::string& state_hash);
BrowserFlowHandoff deliver_browser_flow(Database& db, const KeySet& keys, const RelayIdentity& me,
                                        const std::string& state_hash, const core::oauth::FormFields& fields);
BrowserFlowOutcome browser_flow_outcome(Database& db, const RelayIdentity& me, const std::string& state_hash);

void open_browser_flow(PgConnection& c, const RelayIdentity& me, const BrowserFlowStart& start);
std::vector<DeliveredBrowserFlow> take_delivered_browser_flows(PgConnection& c, const KeySet& keys,
                                                               const RelayIdentity& me);
void heartbeat_browser_flows(PgConnection& c, const RelayIdentity& me);
void finish_browser_flow(PgConnection& c, const RelayIdentity& me, const std::string& state_hash,
                         const std::optional<std::string>& failure, const std::optional<std::string>& return_to);
void withdraw_browser_flow(PgConnection& c, const RelayIdentity& me, const std::string& state_hash);
BrowserFlowHandoff deliver_browser_flow(PgConnection& c, const KeySet& keys, const RelayIdentity& me,
                                        const std::string& state_hash, const core::oauth::FormFields& fields);
BrowserFlowOutcome browser_flow_outcome(PgConnection& c, const RelayIdentity& me, const std::string& state_hash);

}  // namespace mcpauth::store::detail

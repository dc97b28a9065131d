// The browser-flow table of SqliteTokenStore (browser_flows), in
// milliseconds of this machine's clock (every process sharing the file runs on it).
#include "browser_flow_rows.hpp"
#include "sealed_rows.hpp"  // to_millis
#include "sqlite.hpp"

namespace mcpauth::store::detail {
namespace {

long long now_ms() {
  return to_millis(Clock::now());
}

long long silence_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(kBrowserFlowOwnerSilence).count();
}

struct Row {
  std::string owner;
  std::string host;
  ProcessIdentity process;
  long long seen_at = 0;
  bool delivered = false;
  long long expires_at = 0;
  std::optional<std::string> return_to;
  std::optional<std::string> outcome;
  std::optional<std::string> reason;
};

// Read whole, so no statement is open when the caller writes and commits.
std::optional<Row> read_row(Database& db, const std::string& state_hash) {
  Statement s(db,
              "SELECT owner, host, pid, started, seen_at, delivered, expires_at, return_to, outcome, reason "
              "FROM browser_flows WHERE state_hash = ?");
  s.bind(1, state_hash);
  if (!s.step()) return std::nullopt;
  return Row{s.text(0),          s.text(1),          {s.integer(2), static_cast<std::uint64_t>(s.integer(3))},
             s.integer(4),       s.integer(5) != 0,  s.integer(6),
             s.optional_text(7), s.optional_text(8), s.optional_text(9)};
}

bool owner_gone(const RelayIdentity& me, const Row& row, long long now) {
  return browser_flow_owner_gone(me, row.owner, row.host, row.process, row.seen_at < now - silence_ms());
}

}  // namespace

void open_browser_flow(Database& db, const RelayIdentity& me, const BrowserFlowStart& start) {
  check_browser_flow_start(start);
  const long long now = now_ms();
  Transaction transaction(db);  // the write lock: one account's bound holds across processes
  Statement(db, "DELETE FROM browser_flows WHERE expires_at <= ?").bind(1, now).run();
  Statement insert(db,
                   "INSERT OR IGNORE INTO browser_flows (state_hash, account, server, owner, host, pid, started, "
                   "return_to, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, start.state_hash).bind(2, start.account).bind(3, start.server).bind(4, me.owner).bind(5, me.host);
  insert.bind(6, me.process.pid).bind(7, static_cast<long long>(me.process.started)).bind(8, start.return_to);
  insert.bind(9, now).bind(10, now).bind(11, now + start.ttl.count()).run();
  Statement(db,
            "DELETE FROM browser_flows WHERE state_hash IN (SELECT state_hash FROM browser_flows WHERE account = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)")
      .bind(1, start.account)
      .bind(2, static_cast<long long>(kMaxBrowserFlowsPerAccount))
      .run();
  transaction.commit();
}

std::vector<DeliveredBrowserFlow> take_delivered_browser_flows(Database& db, const KeySet& keys,
                                                               const RelayIdentity& me) {
  std::vector<DeliveredBrowserFlow> out;
  {
    // Read-only first: the poll of an instance with nothing delivered takes no write lock.
    Statement any(db, "SELECT 1 FROM browser_flows WHERE owner = ? AND delivered = 1 AND taken = 0 LIMIT 1");
    any.bind(1, me.owner);
    if (!any.step()) return out;
  }
  Transaction transaction(db);
  {
    Statement s(db,
                "SELECT state_hash, key_id, fields FROM browser_flows WHERE owner = ? AND delivered = 1 AND "
                "taken = 0 LIMIT 64");
    s.bind(1, me.owner);
    while (s.step()) {
      DeliveredBrowserFlow flow;
      flow.state_hash = s.text(0);
      if (!s.is_null(2)) flow.fields = open_browser_flow_fields(keys, s.optional_text(1), flow.state_hash, s.blob(2));
      out.push_back(std::move(flow));
    }
  }
  for (const auto& flow : out) {
    Statement(db, "UPDATE browser_flows SET taken = 1, fields = NULL, key_id = NULL WHERE state_hash = ?")
        .bind(1, flow.state_hash)
        .run();
  }
  transaction.commit();
  return out;
}

void heartbeat_browser_flows(Database& db, const RelayIdentity& me) {
  Statement(db, "UPDATE browser_flows SET seen_at = ? WHERE owner = ?").bind(1, now_ms()).bind(2, me.owner).run();
}

void finish_browser_flow(Database& db, const RelayIdentity& me, const std::string& state_hash,
                         const std::optional<std::string>& failure, const std::optional<std::string>& return_to) {
  const long long now = now_ms();
  Statement s(db,
              "UPDATE browser_flows SET outcome = ?, reason = ?, return_to = ?, seen_at = ?, expires_at = ? "
              "WHERE state_hash = ? AND owner = ? AND taken = 1");
  s.bind(1, std::string(failure ? "failed" : "authorized"))
      .bind(2, failure ? std::optional<std::string>(cut_browser_flow_reason(*failure)) : std::nullopt);
  s.bind(3, return_to && return_to->size() <= kMaxBrowserFlowReturnTo ? return_to : std::nullopt);
  s.bind(4, now).bind(5, now + std::chrono::milliseconds(kBrowserFlowOutcomeKeep).count());
  s.bind(6, state_hash).bind(7, me.owner).run();
}

void withdraw_browser_flow(Database& db, const RelayIdentity& me, const std::string& state_hash) {
  Statement(db, "DELETE FROM browser_flows WHERE state_hash = ? AND owner = ? AND taken = 0")
      .bind(1, state_hash)
      .bind(2, me.owner)
      .run();
}

BrowserFlowHandoff deliver_browser_flow(Database& db, const KeySet& keys, const RelayIdentity& me,
                                        const std::string& state_hash, const core::oauth::FormFields& fields) {
  check_browser_flow_hash(state_hash);
  check_browser_flow_fields(fields);
  const long long now = now_ms();
  // A plain read first: a callback nobody waits for (a stray or forged
  // state, from anyone: the callback needs no key) takes no write lock.
  if (const auto peek = read_row(db, state_hash); !peek || peek->owner == me.owner || peek->delivered) return {};
  Transaction transaction(db);
  const auto row = read_row(db, state_hash);
  if (!row || row->owner == me.owner || row->delivered) return {};
  const bool expired = row->expires_at <= now;
  const bool gone = !expired && owner_gone(me, *row, now);
  if (expired || gone) {
    Statement(db, "DELETE FROM browser_flows WHERE state_hash = ?").bind(1, state_hash).run();
    transaction.commit();
    return {gone ? BrowserFlowDelivery::owner_gone : BrowserFlowDelivery::unknown, std::nullopt};
  }
  Statement(db, "UPDATE browser_flows SET delivered = 1, key_id = ?, fields = ? WHERE state_hash = ?")
      .bind(1, keys.current().id)
      .bind_blob(2, seal_browser_flow_fields(keys, state_hash, fields))
      .bind(3, state_hash)
      .run();
  transaction.commit();
  return {BrowserFlowDelivery::delivered, row->return_to};
}

BrowserFlowOutcome browser_flow_outcome(Database& db, const RelayIdentity& me, const std::string& state_hash) {
  check_browser_flow_hash(state_hash);
  const long long now = now_ms();
  // A plain read first: a page waiting for a running flow polls this, and
  // takes the write lock only once there is something to delete.
  if (const auto peek = read_row(db, state_hash);
      !peek || (!peek->outcome && peek->expires_at > now && !owner_gone(me, *peek, now))) {
    BrowserFlowOutcome outcome;
    if (peek) {
      outcome.return_to = peek->return_to;
      outcome.state = BrowserFlowOutcome::State::running;
    }
    return outcome;
  }
  Transaction transaction(db);
  const auto row = read_row(db, state_hash);
  BrowserFlowOutcome outcome;
  if (!row) return outcome;
  outcome.return_to = row->return_to;
  if (row->outcome) {
    outcome.state =
        *row->outcome == "authorized" ? BrowserFlowOutcome::State::authorized : BrowserFlowOutcome::State::failed;
    outcome.reason = row->reason.value_or("");
  } else if (row->expires_at <= now) {
    outcome.state = BrowserFlowOutcome::State::gone;
  } else if (owner_gone(me, *row, now)) {
    outcome.state = BrowserFlowOutcome::State::owner_gone;
  } else {
    outcome.state = BrowserFlowOutcome::State::running;
    return outcome;
  }
  Statement(db, "DELETE FROM browser_flows WHERE state_hash = ?").bind(1, state_hash).run();
  transaction.commit();
  return outcome;
}

}  // namespace mcpauth::store::detail

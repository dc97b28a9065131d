// The browser-flow table of PostgresTokenStore (mcpauth_browser_flows), on
// the database's clock so instances with skewed clocks agree on expiry and silence.
#include "browser_flow_rows.hpp"
#include "postgres.hpp"
#include "postgres_schema.hpp"  // kPgLockSpace

namespace mcpauth::store::detail {
namespace {

using P = PgParam;

constexpr int kMaxTakenAtOnce = 64;

P millis(std::chrono::milliseconds ms) {
  return P::integer(ms.count());
}

P silence() {
  return millis(std::chrono::duration_cast<std::chrono::milliseconds>(kBrowserFlowOwnerSilence));
}

}  // namespace

void open_browser_flow(PgConnection& c, const RelayIdentity& me, const BrowserFlowStart& start) {
  check_browser_flow_start(start);
  PgTransaction transaction(c);
  // One account's opens in turn, so its bound holds.
  c.exec("SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
         {P::integer(kPgLockSpace), P::text("browser-flows\n" + start.account)},
         "waiting for the lock of an account's browser flows");
  c.exec("DELETE FROM mcpauth_browser_flows WHERE expires_at <= clock_timestamp()", {},
         "purging expired browser flows");
  c.exec(
      "INSERT INTO mcpauth_browser_flows (state_hash, account, server, owner, host, pid, started, return_to, "
      "created_at, seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8, clock_timestamp(), "
      "clock_timestamp(), clock_timestamp() + $9::bigint * interval '1 millisecond') ON CONFLICT (state_hash) DO "
      "NOTHING",
      {P::text(start.state_hash), P::text(start.account), P::text(start.server), P::text(me.owner), P::text(me.host),
       P::integer(me.process.pid), P::integer(static_cast<long long>(me.process.started)),
       P::optional_text(start.return_to), millis(start.ttl)},
      "opening a browser flow");
  c.exec(
      "DELETE FROM mcpauth_browser_flows WHERE state_hash IN (SELECT state_hash FROM mcpauth_browser_flows WHERE "
      "account = $1 ORDER BY created_at DESC, state_hash OFFSET $2::bigint)",
      {P::text(start.account), P::integer(static_cast<long long>(kMaxBrowserFlowsPerAccount))},
      "bounding an account's browser flows");
  transaction.commit();
}

std::vector<DeliveredBrowserFlow> take_delivered_browser_flows(PgConnection& c, const KeySet& keys,
                                                               const RelayIdentity& me) {
  // The sealed parameters leave the row as they are taken.
  const PgResult r = c.exec(
      "WITH t AS (SELECT state_hash, key_id, fields FROM mcpauth_browser_flows WHERE owner = $1 AND delivered AND "
      "NOT taken LIMIT $2::bigint FOR UPDATE) UPDATE mcpauth_browser_flows f SET taken = true, fields = NULL, "
      "key_id = NULL FROM t WHERE f.state_hash = t.state_hash RETURNING t.state_hash, t.key_id, t.fields",
      {P::text(me.owner), P::integer(kMaxTakenAtOnce)}, "taking delivered browser flows");
  std::vector<DeliveredBrowserFlow> out;
  for (int row = 0; row < r.rows(); ++row) {
    DeliveredBrowserFlow flow;
    flow.state_hash = r.text(row, 0);
    if (!r.is_null(row, 2))
      flow.fields = open_browser_flow_fields(keys, r.optional_text(row, 1), flow.state_hash, r.bytes(row, 2));
    out.push_back(std::move(flow));
  }
  return out;
}

void heartbeat_browser_flows(PgConnection& c, const RelayIdentity& me) {
  c.exec("UPDATE mcpauth_browser_flows SET seen_at = clock_timestamp() WHERE owner = $1", {P::text(me.owner)},
         "marking this instance's browser flows alive");
}

void finish_browser_flow(PgConnection& c, const RelayIdentity& me, const std::string& state_hash,
                         const std::optional<std::string>& failure, const std::optional<std::string>& return_to) {
  c.exec(
      "UPDATE mcpauth_browser_flows SET outcome = $3, reason = $4, return_to = $5, seen_at = clock_timestamp(), "
      "expires_at = clock_timestamp() + $6::bigint * interval '1 millisecond' WHERE state_hash = $1 AND owner = $2 "
      "AND taken",
      {P::text(state_hash), P::text(me.owner), P::text(failure ? "failed" : "authorized"),
       failure ? P::text(cut_browser_flow_reason(*failure)) : P::null(),
       return_to && return_to->size() <= kMaxBrowserFlowReturnTo ? P::text(*return_to) : P::null(),
       millis(kBrowserFlowOutcomeKeep)},
      "recording how a browser flow ended");
}

void withdraw_browser_flow(PgConnection& c, const RelayIdentity& me, const std::string& state_hash) {
  c.exec("DELETE FROM mcpauth_browser_flows WHERE state_hash = $1 AND owner = $2 AND NOT taken",
         {P::text(state_hash), P::text(me.owner)}, "withdrawing a browser flow");
}

BrowserFlowHandoff deliver_browser_flow(PgConnection& c, const KeySet& keys, const RelayIdentity& me,
                                        const std::string& state_hash, const core::oauth::FormFields& fields) {
  check_browser_flow_hash(state_hash);
  check_browser_flow_fields(fields);
  PgTransaction transaction(c);
  const PgResult r = c.exec(
      "SELECT owner, host, pid, started, seen_at < clock_timestamp() - $2::bigint * interval '1 millisecond', "
      "delivered, expires_at <= clock_timestamp(), return_to FROM mcpauth_browser_flows WHERE state_hash = $1 FOR "
      "UPDATE",
      {P::text(state_hash), silence()}, "reading a browser flow");
  if (r.rows() == 0 || r.text(0, 0) == me.owner || r.boolean(0, 5)) return {};
  const bool expired = r.boolean(0, 6);
  const bool gone = !expired && browser_flow_owner_gone(me, r.text(0, 0), r.text(0, 1),
                                                        {r.integer(0, 2), static_cast<std::uint64_t>(r.integer(0, 3))},
                                                        r.boolean(0, 4));
  if (expired || gone) {
    c.exec("DELETE FROM mcpauth_browser_flows WHERE state_hash = $1", {P::text(state_hash)},
           "removing a browser flow that cannot end");
    transaction.commit();
    return {gone ? BrowserFlowDelivery::owner_gone : BrowserFlowDelivery::unknown, std::nullopt};
  }
  c.exec(
      "UPDATE mcpauth_browser_flows SET delivered = true, key_id = $2, fields = $3 WHERE state_hash = $1",
      {P::text(state_hash), P::text(keys.current().id), P::bytes(seal_browser_flow_fields(keys, state_hash, fields))},
      "delivering a browser flow's redirect");
  transaction.commit();
  return {BrowserFlowDelivery::delivered, r.optional_text(0, 7)};
}

BrowserFlowOutcome browser_flow_outcome(PgConnection& c, const RelayIdentity& me, const std::string& state_hash) {
  check_browser_flow_hash(state_hash);
  PgTransaction transaction(c);
  const PgResult r = c.exec(
      "SELECT owner, host, pid, started, seen_at < clock_timestamp() - $2::bigint * interval '1 millisecond', "
      "outcome, reason, return_to, expires_at <= clock_timestamp() FROM mcpauth_browser_flows WHERE state_hash = $1 "
      "FOR UPDATE",
      {P::text(state_hash), silence()}, "reading how a browser flow ended");
  BrowserFlowOutcome outcome;
  if (r.rows() == 0) return outcome;
  outcome.return_to = r.optional_text(0, 7);
  if (!r.is_null(0, 5)) {
    outcome.state =
        r.text(0, 5) == "authorized" ? BrowserFlowOutcome::State::authorized : BrowserFlowOutcome::State::failed;
    outcome.reason = r.optional_text(0, 6).value_or("");
  } else if (r.boolean(0, 8)) {
    outcome.state = BrowserFlowOutcome::State::gone;
  } else if (browser_flow_owner_gone(me, r.text(0, 0), r.text(0, 1),
                                     {r.integer(0, 2), static_cast<std::uint64_t>(r.integer(0, 3))}, r.boolean(0, 4))) {
    outcome.state = BrowserFlowOutcome::State::owner_gone;
  } else {
    outcome.state = BrowserFlowOutcome::State::running;
    return outcome;
  }
  c.exec("DELETE FROM mcpauth_browser_flows WHERE state_hash = $1", {P::text(state_hash)},
         "removing a browser flow that ended");
  transaction.commit();
  return outcome;
}

}  // namespace mcpauth::store::detail

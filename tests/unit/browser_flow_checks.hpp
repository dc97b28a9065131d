// What the browser-flow relay tests of both stores share
// (unit/browser_flow_relay_test.cpp on SQLite,
// integration/postgres_browser_flow_test.cpp on PostgreSQL): two store
// objects on one database play two gateway instances, the owner of a flow
// and the instance its callback reached. The hooks reach the table itself,
// to age its rows and to read what it holds.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "error_of.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/browser_flows.hpp"

namespace mcpauth::testing {

struct BrowserFlowTable {
  std::function<void()> expire_all;   // every row's expiry in the past
  std::function<void()> silence_all;  // every row's owner silent for longer than kBrowserFlowOwnerSilence
  std::function<long()> count;        // rows in the table
  std::function<std::string()> dump;  // every column of every row, as text
};

inline store::BrowserFlowRelay& browser_flow_relay_of(const std::shared_ptr<store::TokenStore>& s) {
  auto relay = store::browser_flow_relay(s);
  if (!relay) throw std::logic_error("a persistent store implements BrowserFlowRelay");
  return *relay;
}

// A state hash as the gateway makes one.
inline std::string browser_flow_hash_of(const std::string& state) {
  return core::oauth::base64url(core::oauth::sha256(state));
}

inline store::BrowserFlowStart browser_flow_start(const std::string& state, const std::string& account = "alice") {
  return {browser_flow_hash_of(state), account, "secure", std::string("https://host.example/back"),
          std::chrono::minutes(5)};
}

inline core::oauth::FormFields browser_flow_redirect(const std::string& state) {
  return {{"code", "relay-test-code-" + state}, {"state", state}, {"iss", "https://as.example.com"}};
}

using BrowserFlowState = store::BrowserFlowOutcome::State;

// Delivered once, taken once by its owner, its outcome read once; the
// parameters are never in the table in clear.
inline void expect_browser_flow_relayed_once(const std::shared_ptr<store::TokenStore>& owner_store,
                                             const std::shared_ptr<store::TokenStore>& other_store,
                                             const BrowserFlowTable& table) {
  auto& owner = browser_flow_relay_of(owner_store);
  auto& other = browser_flow_relay_of(other_store);
  const std::string state = "state-relayed-once-0123456789";
  owner.open_browser_flow(browser_flow_start(state));
  const std::string hash = browser_flow_hash_of(state);
  EXPECT_TRUE(owner.take_delivered_browser_flows().empty());
  EXPECT_EQ(other.browser_flow_outcome(hash).state, BrowserFlowState::running);
  // The owner's own rows come back to it in memory, never through the store.
  EXPECT_EQ(owner.deliver_browser_flow(hash, browser_flow_redirect(state)).result, store::BrowserFlowDelivery::unknown);

  const auto handoff = other.deliver_browser_flow(hash, browser_flow_redirect(state));
  EXPECT_EQ(handoff.result, store::BrowserFlowDelivery::delivered);
  EXPECT_EQ(handoff.return_to, std::optional<std::string>("https://host.example/back"));
  const std::string sealed = table.dump();
  EXPECT_EQ(sealed.find(state), std::string::npos) << sealed;
  EXPECT_EQ(sealed.find("relay-test-code"), std::string::npos) << sealed;
  EXPECT_NE(sealed.find(hash), std::string::npos) << "the row is keyed by the state's hash: " << sealed;
  // Single use: a replay, on either instance, is unknown.
  EXPECT_EQ(other.deliver_browser_flow(hash, browser_flow_redirect(state)).result, store::BrowserFlowDelivery::unknown);

  const auto taken = owner.take_delivered_browser_flows();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].state_hash, hash);
  EXPECT_EQ(taken[0].fields, browser_flow_redirect(state));
  EXPECT_TRUE(owner.take_delivered_browser_flows().empty()) << "taken twice";
  owner.withdraw_browser_flow(hash);  // a taken row waits for its outcome
  EXPECT_EQ(other.browser_flow_outcome(hash).state, BrowserFlowState::running);

  owner.finish_browser_flow(hash, std::nullopt, std::string("https://host.example/later"));
  const auto outcome = other.browser_flow_outcome(hash);
  EXPECT_EQ(outcome.state, BrowserFlowState::authorized);
  EXPECT_EQ(outcome.return_to, std::optional<std::string>("https://host.example/later"));
  EXPECT_EQ(other.browser_flow_outcome(hash).state, BrowserFlowState::gone) << "an outcome is read once";
  EXPECT_EQ(table.count(), 0);
}

// A failed flow's reason reaches the other instance, cut to its bound.
inline void expect_browser_flow_failure_told(const std::shared_ptr<store::TokenStore>& owner_store,
                                             const std::shared_ptr<store::TokenStore>& other_store) {
  auto& owner = browser_flow_relay_of(owner_store);
  auto& other = browser_flow_relay_of(other_store);
  const std::string state = "state-failed-0123456789";
  const std::string hash = browser_flow_hash_of(state);
  owner.open_browser_flow(browser_flow_start(state));
  ASSERT_EQ(other.deliver_browser_flow(hash, browser_flow_redirect(state)).result,
            store::BrowserFlowDelivery::delivered);
  ASSERT_EQ(owner.take_delivered_browser_flows().size(), 1u);
  owner.finish_browser_flow(hash, "the token endpoint answered invalid_grant " + std::string(2000, 'x'), std::nullopt);
  const auto outcome = other.browser_flow_outcome(hash);
  EXPECT_EQ(outcome.state, BrowserFlowState::failed);
  EXPECT_EQ(outcome.reason.rfind("the token endpoint answered invalid_grant", 0), 0u) << outcome.reason;
  EXPECT_EQ(outcome.reason.size(), store::kMaxBrowserFlowReason);
}

// Withdrawn, expired, and owner-gone rows: nothing to deliver, nothing left behind.
inline void expect_browser_flow_ends_without_owner(const std::shared_ptr<store::TokenStore>& owner_store,
                                                   const std::shared_ptr<store::TokenStore>& other_store,
                                                   const BrowserFlowTable& table) {
  auto& owner = browser_flow_relay_of(owner_store);
  auto& other = browser_flow_relay_of(other_store);
  const auto redirect = [](const std::string& state) { return browser_flow_redirect(state); };

  owner.open_browser_flow(browser_flow_start("withdrawn-state"));
  owner.withdraw_browser_flow(browser_flow_hash_of("withdrawn-state"));
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of("withdrawn-state"), redirect("withdrawn-state")).result,
            store::BrowserFlowDelivery::unknown);

  owner.open_browser_flow(browser_flow_start("expired-state"));
  table.expire_all();
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of("expired-state"), redirect("expired-state")).result,
            store::BrowserFlowDelivery::unknown);
  EXPECT_EQ(table.count(), 0) << "an expired row is deleted when found";

  // An owner gone before the callback: told at once, and the row is gone.
  owner.open_browser_flow(browser_flow_start("silent-state"));
  table.silence_all();
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of("silent-state"), redirect("silent-state")).result,
            store::BrowserFlowDelivery::owner_gone);
  EXPECT_EQ(table.count(), 0);

  // An owner gone after taking the callback: the waiting page is told.
  owner.open_browser_flow(browser_flow_start("taken-state"));
  ASSERT_EQ(other.deliver_browser_flow(browser_flow_hash_of("taken-state"), redirect("taken-state")).result,
            store::BrowserFlowDelivery::delivered);
  ASSERT_EQ(owner.take_delivered_browser_flows().size(), 1u);
  EXPECT_EQ(other.browser_flow_outcome(browser_flow_hash_of("taken-state")).state, BrowserFlowState::running);
  table.silence_all();
  EXPECT_EQ(other.browser_flow_outcome(browser_flow_hash_of("taken-state")).state, BrowserFlowState::owner_gone);
  EXPECT_EQ(table.count(), 0);

  // A heartbeat keeps a live owner's rows from looking silent.
  owner.open_browser_flow(browser_flow_start("alive-state"));
  table.silence_all();
  owner.heartbeat_browser_flows();
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of("alive-state"), redirect("alive-state")).result,
            store::BrowserFlowDelivery::delivered);

  // Expired rows are purged when the next flow opens.
  table.expire_all();
  owner.open_browser_flow(browser_flow_start("fresh-state"));
  EXPECT_EQ(table.count(), 1);
  owner.withdraw_browser_flow(browser_flow_hash_of("fresh-state"));
  EXPECT_EQ(table.count(), 0);
}

// An account's rows are bounded (the oldest go), parameters are bounded, a
// state hash has its shape.
inline void expect_browser_flow_bounds(const std::shared_ptr<store::TokenStore>& owner_store,
                                       const std::shared_ptr<store::TokenStore>& other_store,
                                       const BrowserFlowTable& table) {
  auto& owner = browser_flow_relay_of(owner_store);
  auto& other = browser_flow_relay_of(other_store);
  const long flood = static_cast<long>(store::kMaxBrowserFlowsPerAccount) + 5;
  for (long i = 0; i < flood; ++i) owner.open_browser_flow(browser_flow_start("flood-" + std::to_string(i)));
  owner.open_browser_flow(browser_flow_start("bob-state", "bob"));
  EXPECT_EQ(table.count(), static_cast<long>(store::kMaxBrowserFlowsPerAccount) + 1);
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of("flood-0"), browser_flow_redirect("flood-0")).result,
            store::BrowserFlowDelivery::unknown)
      << "the oldest row of the account stays";
  const std::string newest = "flood-" + std::to_string(flood - 1);
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of(newest), browser_flow_redirect(newest)).result,
            store::BrowserFlowDelivery::delivered);
  EXPECT_EQ(other.deliver_browser_flow(browser_flow_hash_of("bob-state"), browser_flow_redirect("bob-state")).result,
            store::BrowserFlowDelivery::delivered)
      << "another account's row was evicted";

  owner.open_browser_flow(browser_flow_start("bounded-state"));
  const std::string hash = browser_flow_hash_of("bounded-state");
  core::oauth::FormFields many;
  for (std::size_t i = 0; i <= store::kMaxBrowserFlowFields; ++i) many.emplace_back("p" + std::to_string(i), "v");
  EXPECT_EQ(error_of([&] { other.deliver_browser_flow(hash, many); }).code(), ErrorCode::usage);
  const core::oauth::FormFields big = {{"state", "bounded-state"},
                                       {"code", std::string(store::kMaxBrowserFlowFieldBytes, 'c')}};
  EXPECT_EQ(error_of([&] { other.deliver_browser_flow(hash, big); }).code(), ErrorCode::usage);
  EXPECT_EQ(
      error_of([&] { other.deliver_browser_flow("bounded-state", browser_flow_redirect("bounded-state")); }).code(),
      ErrorCode::usage)
      << "a state is never a key";
  auto start = browser_flow_start("long-return");
  start.return_to = std::string(store::kMaxBrowserFlowReturnTo + 1, 'r');
  EXPECT_EQ(error_of([&] { owner.open_browser_flow(start); }).code(), ErrorCode::usage);
  // What was refused changed nothing: the row still takes its one delivery.
  EXPECT_EQ(other.deliver_browser_flow(hash, browser_flow_redirect("bounded-state")).result,
            store::BrowserFlowDelivery::delivered);
}

}  // namespace mcpauth::testing

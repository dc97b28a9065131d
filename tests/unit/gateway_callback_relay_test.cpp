// The gateway's CallbackRegistry with a store that relays browser flows
// (SQLite, two store objects on one file: two instances): a callback that
// reaches the other instance is taken by this one's poller to the waiting
// flow, and the flow's end reaches the other instance's page; a replay, a
// callback of a withdrawn flow, and a flow that came back to its own
// instance leave nothing in the store.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "../../src/store/sqlite.hpp"
#include "gateway_consent.hpp"
#include "mcpauth/store/browser_flows.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/files.hpp"

namespace mcpauth::gateway {
namespace {

namespace fs = std::filesystem;
using State = store::BrowserFlowOutcome::State;

struct CallbackRelayDir {
  fs::path path = test_platform::make_temp_dir("mcpauth-callbacks");
  ~CallbackRelayDir() { fs::remove_all(path); }
};

class GatewayCallbackRelay : public ::testing::Test {
 protected:
  std::shared_ptr<store::TokenStore> open() const {
    store::SqliteStoreOptions o;
    o.path = dir_.path / "tokens.db";
    o.use_keyring = false;
    return store::open_sqlite_token_store(o);
  }

  long rows() const {
    store::detail::Database db(dir_.path / "tokens.db", std::chrono::seconds(10));
    store::detail::Statement s(db, "SELECT count(*) FROM browser_flows");
    s.step();
    return static_cast<long>(s.integer(0));
  }

  // A flow of the first instance waiting for its redirect.
  std::shared_ptr<PendingConsent> waiting(const std::string& state) {
    auto pending = std::make_shared<PendingConsent>();
    pending->account = "alice";
    pending->server = "secure";
    pending->return_to = "https://host.example/back";
    first_->add(state, pending, std::chrono::minutes(5));
    return pending;
  }

  static core::oauth::FormFields redirect(const std::string& state) {
    return {{"code", "callback-relay-code"}, {"state", state}};
  }

  CallbackRelayDir dir_;  // first: removed after the stores closed
  std::shared_ptr<store::TokenStore> first_store_ = open();
  std::shared_ptr<store::TokenStore> second_store_ = open();
  std::shared_ptr<CallbackRegistry> first_ =
      std::make_shared<CallbackRegistry>(store::browser_flow_relay(first_store_));
  std::shared_ptr<CallbackRegistry> second_ =
      std::make_shared<CallbackRegistry>(store::browser_flow_relay(second_store_));
};

TEST_F(GatewayCallbackRelay, ACallbackOnTheOtherInstanceReachesTheWaitingFlowAndItsEndComesBack) {
  const auto pending = waiting("relayed-state");
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(second_->deliver(redirect("relayed-state")), nullptr) << "no flow of the second instance";
  const auto relayed = second_->deliver_elsewhere(redirect("relayed-state"));
  ASSERT_EQ(relayed.delivery, store::BrowserFlowDelivery::delivered);
  {
    // The first instance's poller hands it to the flow (a condition with a deadline, not a sleep).
    std::unique_lock lock(pending->mutex);
    ASSERT_TRUE(pending->cv.wait_for(lock, std::chrono::seconds(30), [&] { return pending->result.has_value(); }));
    EXPECT_EQ(*pending->result, redirect("relayed-state"));
  }
  // A replay: refused on both instances.
  EXPECT_EQ(first_->deliver(redirect("relayed-state")), nullptr);
  EXPECT_EQ(second_->deliver_elsewhere(redirect("relayed-state")).delivery, store::BrowserFlowDelivery::unknown);
  EXPECT_EQ(first_->deliver_elsewhere(redirect("relayed-state")).delivery, store::BrowserFlowDelivery::unknown);

  EXPECT_EQ(second_->wait_relayed(relayed.state_hash, std::chrono::milliseconds(0)).state, State::running);
  pending->finish(std::string("the token endpoint answered invalid_grant"));
  const auto outcome = second_->wait_relayed(relayed.state_hash, std::chrono::seconds(30));
  EXPECT_EQ(outcome.state, State::failed);
  EXPECT_EQ(outcome.reason, "the token endpoint answered invalid_grant");
  EXPECT_EQ(outcome.return_to, std::optional<std::string>("https://host.example/back"));
  EXPECT_EQ(rows(), 0);
}

TEST_F(GatewayCallbackRelay, AFlowWhoseCallbackCameBackToItsOwnInstanceLeavesNoRow) {
  const auto pending = waiting("own-state");
  EXPECT_EQ(first_->deliver(redirect("own-state")), pending);
  EXPECT_EQ(rows(), 0) << "used here: withdrawn from the store";
  EXPECT_EQ(second_->deliver_elsewhere(redirect("own-state")).delivery, store::BrowserFlowDelivery::unknown);
}

TEST_F(GatewayCallbackRelay, AFlowThatStoppedWaitingIsWithdrawn) {
  waiting("abandoned-state");
  first_->remove("abandoned-state");  // the consent timed out or was cancelled
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(second_->deliver_elsewhere(redirect("abandoned-state")).delivery, store::BrowserFlowDelivery::unknown);
}

TEST_F(GatewayCallbackRelay, WithoutARelayACallbackForAnotherInstanceIsUnknown) {
  CallbackRegistry alone;
  EXPECT_EQ(alone.deliver_elsewhere(redirect("anything")).delivery, store::BrowserFlowDelivery::unknown);
}

}  // namespace
}  // namespace mcpauth::gateway

// Consent through the gateway's own web callback: the authorization URL is
// published to the dashboard (never opened here), and the browser the user
// is already in comes back to http://<listen address>/oauth/callback.
// Pending flows are found by the SHA-256 of their state (the state itself is
// not kept as a lookup key), each used once, and forgotten after the consent
// timeout.
//
// Several instances on one store (a load balancer in front): each pending
// flow also has a row in the store's BrowserFlowRelay (browser_flows.hpp),
// so a callback that reaches another instance is handed over through the
// store. This instance's poller takes such handovers to the waiting flow
// and keeps its rows alive; the flow's outcome goes back to the row for the
// other instance's page. The PKCE verifier never leaves this process.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mcpauth/auth/consent.hpp"
#include "mcpauth/store/browser_flows.hpp"

namespace mcpauth::gateway {

// How often this instance looks for callbacks another instance relayed
// (only while it has a flow waiting) and marks its rows alive.
inline constexpr auto kRelayPoll = std::chrono::milliseconds(250);
inline constexpr auto kRelayHeartbeat = std::chrono::seconds(2);

// One consent waiting for its redirect, and then for the end of its flow
// (token exchange and first connection), so the callback page can say how it
// ended instead of guessing from the redirect.
struct PendingConsent {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<core::oauth::FormFields> result;
  bool cancelled = false;
  bool finished = false;               // the flow ended (set by whoever runs it)
  std::optional<std::string> failure;  // why it failed, when it did
  // Where the callback sends the browser once the flow ended (a host's page,
  // checked against --allowed-return-url); none: the gateway's own page.
  std::optional<std::string> return_to;
  // Whose flow it is, for its row in the store (the bound per account).
  std::string account;
  std::string server;
  // Set when another instance's callback delivered the result: tells the
  // store how the flow ended, for that instance's page.
  std::function<void(const std::optional<std::string>& failure, const std::optional<std::string>& return_to)>
      relayed_finish;

  void cancel();
  // The flow ended: `failure` empty means authorized.
  void finish(std::optional<std::string> failure_reason);
  // Waits up to `limit` for finish(); false if the flow is still running.
  bool wait_finished(std::chrono::milliseconds limit);
};

// What became of a callback that no flow of this instance waited for.
struct RelayedCallback {
  store::BrowserFlowDelivery delivery = store::BrowserFlowDelivery::unknown;
  std::string state_hash;
  std::optional<std::string> return_to;
};

class CallbackRegistry : public std::enable_shared_from_this<CallbackRegistry> {
 public:
  // `relay`: the store's (null: callbacks must come back to this instance);
  // `log`: a line for a store failure (never a state, code or parameter).
  explicit CallbackRegistry(std::shared_ptr<store::BrowserFlowRelay> relay = nullptr,
                            std::function<void(const std::string&)> log = {});
  ~CallbackRegistry();
  CallbackRegistry(const CallbackRegistry&) = delete;
  CallbackRegistry& operator=(const CallbackRegistry&) = delete;

  void add(const std::string& state, std::shared_ptr<PendingConsent> pending, std::chrono::milliseconds ttl);
  void remove(const std::string& state);
  // Hands the redirect's parameters to the flow whose state they carry and
  // returns that flow's consent; null for an unknown, used or expired state.
  std::shared_ptr<PendingConsent> deliver(const core::oauth::FormFields& fields);
  // A redirect deliver() found no flow for: handed through the store to the
  // instance whose flow it is (unknown without a relay). Throws Error(store).
  RelayedCallback deliver_elsewhere(const core::oauth::FormFields& fields);
  // Waits up to `limit` for the outcome of a flow deliver_elsewhere() handed
  // over (running when the wait ended first, or the gateway stops).
  store::BrowserFlowOutcome wait_relayed(const std::string& state_hash, std::chrono::milliseconds limit);
  // Ends every pending consent and the poller (the gateway stops).
  void cancel_all();

 private:
  struct Entry {
    std::shared_ptr<PendingConsent> pending;
    std::chrono::steady_clock::time_point expires;
  };
  void withdraw(const std::string& hash);
  void finish_relayed(const std::string& hash, const std::optional<std::string>& failure,
                      const std::optional<std::string>& return_to);
  void hand_over(const store::DeliveredBrowserFlow& delivered);
  void poll();
  void relay_failed(const char* doing, const std::exception& e);

  std::shared_ptr<store::BrowserFlowRelay> relay_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Entry> by_hash_;
  // The hashes of this instance's rows in the store: true once another
  // instance's callback was taken (the row then waits for the outcome).
  std::map<std::string, bool> rows_;
  bool stopping_ = false;
  std::atomic<bool> failing_{false};  // the last store call failed (logged once)
  std::thread poller_;                // started with the first row
};

class GatewayConsent final : public auth::ConsentHandler {
 public:
  // `publish` receives the authorization URL when the flow waits for the user.
  GatewayConsent(std::shared_ptr<CallbackRegistry> registry, std::string redirect_uri,
                 std::function<void(const std::string&)> publish, std::shared_ptr<PendingConsent> pending)
      : registry_(std::move(registry)),
        redirect_uri_(std::move(redirect_uri)),
        publish_(std::move(publish)),
        pending_(std::move(pending)) {}

  std::unique_ptr<auth::ConsentSession> begin(const std::string& issuer) override;

 private:
  std::shared_ptr<CallbackRegistry> registry_;
  std::string redirect_uri_;
  std::function<void(const std::string&)> publish_;
  std::shared_ptr<PendingConsent> pending_;
};

}  // namespace mcpauth::gateway

// Consent through the gateway's own web callback: the authorization URL is
// published to the dashboard (never opened here), and the browser the user
// is already in comes back to http://<listen address>/oauth/callback.
// Pending flows are found by the SHA-256 of their state (the state itself is
// not kept as a lookup key), each used once, and forgotten after the consent
// timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mcpauth/auth/consent.hpp"

namespace mcpauth::gateway {

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

  void cancel();
  // The flow ended: `failure` empty means authorized.
  void finish(std::optional<std::string> failure_reason);
  // Waits up to `limit` for finish(); false if the flow is still running.
  bool wait_finished(std::chrono::milliseconds limit);
};

class CallbackRegistry {
 public:
  void add(const std::string& state, std::shared_ptr<PendingConsent> pending, std::chrono::milliseconds ttl);
  void remove(const std::string& state);
  // Hands the redirect's parameters to the flow whose state they carry and
  // returns that flow's consent; null for an unknown, used or expired state.
  std::shared_ptr<PendingConsent> deliver(const core::oauth::FormFields& fields);
  // Ends every pending consent (the gateway stops).
  void cancel_all();

 private:
  struct Entry {
    std::shared_ptr<PendingConsent> pending;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> by_hash_;
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

// Authorizer::Impl: the state, the locks and the driver of
// core::oauth::AuthorizationFlow, shared by authorizer.cpp (rejections, the
// store, refresh, the flow claim) and authorizer_driver.cpp (carrying out
// the machine's actions). Not installed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/dpop.hpp"
#include "mcpauth/core/oauth/authorization_flow.hpp"
#include "mcpauth/core/oauth/rejection.hpp"
#include "random.hpp"
#include "user_waits.hpp"

namespace mcpauth::auth {
namespace detail {

// The machine's randomness: the OS CSPRNG.
class SystemRandom final : public core::oauth::RandomSource {
 public:
  std::string token() override { return random_token(); }
  std::array<std::uint8_t, 32> bytes() override { return random_bytes(); }
};

}  // namespace detail

// Everything an Authorizer holds: the options, what it learned, and the
// two locks. Kept out of the installed header.
class Authorizer::Impl {
 public:
  explicit Impl(AuthorizerOptions options);

  void apply(net::HttpRequest& request);
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection);
  std::optional<std::string> access_token();
  std::optional<AuthorizationInfo> info() const;
  int authorizations() const;
  AuthorizationInfo authorize(ConsentHandler& consent, const std::optional<std::string>& scope);
  bool refreshing() const { return refreshing_.load() > 0; }
  bool waiting_for_user() const { return waits_.waiting(); }
  void cancel() { waits_.cancel(); }

 private:
  class FlowClaim;
  // An authorization a refused request needed and did not get here (no
  // consent handler, or its consent failed): what authorize() runs.
  struct Need {
    core::oauth::AuthChallenge challenge;
    std::optional<std::string> scope;  // a step-up's union of scopes
    std::string rejected;              // the access token the server refused
  };
  // Points held_ at the state lock of the thread holding the flow turn for
  // the length of one carry_out_locked(); set and cleared under that lock.
  struct HeldLock {
    HeldLock(Impl& impl, std::unique_lock<std::mutex>& lock) : impl_(impl) {
      impl_.held_ = &lock;
      impl_.held_by_ = std::this_thread::get_id();
    }
    ~HeldLock() { impl_.held_ = nullptr; }
    HeldLock(const HeldLock&) = delete;
    HeldLock& operator=(const HeldLock&) = delete;
    Impl& impl_;
  };

  core::oauth::RejectionPlan plan_rejection_locked(const net::HttpRequest& request,
                                                   const mcp::Rejection& rejection) const;
  // `may_authorize`: this thread holds the flow turn; without it, a plan
  // that needs a new authorization is the request's Error.
  bool carry_out_locked(const core::oauth::RejectionPlan& plan, const net::HttpRequest& request, int status,
                        bool may_authorize);
  bool nobody_to_ask(const ConsentHandler* consent_handler) const;
  void while_unlocked(const std::function<void()>& wait);

  std::optional<AuthorizationInfo> info_locked() const;
  core::oauth::DiscoveryPolicy discovery_policy() const;
  void restore_locked();
  const core::oauth::TokenSet* fresh_tokens_locked();
  bool adopt_stored_locked(const Discovery& discovery, const std::string& rejected);
  bool authorize_for_rejection_locked(const Need& need, bool step_up);
  Need fresh_need_locked() const;
  void authorize_locked(const core::oauth::AuthChallenge& challenge, const std::optional<std::string>& scope_hint,
                        const std::string& rejected, ConsentHandler* consent);
  void prepare_dpop(const Discovery& discovery, const core::oauth::AuthChallenge& challenge);
  void forget_other_clients_grants();
  bool refresh_locked();
  void adopt(core::oauth::TokenSet tokens);
  core::oauth::FlowSettings flow_settings(bool can_ask_consent) const;
  // `handler` asks for consent (null: nobody can be asked); `consent` is
  // the consent under way, kept for as long as the authorization runs.
  const core::oauth::FlowAction& drive(core::oauth::AuthorizationFlow& flow, ConsentHandler* handler,
                                       std::unique_ptr<ConsentSession>& consent);
  void fetch_metadata(core::oauth::AuthorizationFlow& flow, const std::string& url);
  void post(core::oauth::AuthorizationFlow& flow, const core::oauth::Post& action);
  void open_consent(core::oauth::AuthorizationFlow& flow, const core::oauth::OpenConsent& open, ConsentHandler& handler,
                    std::unique_ptr<ConsentSession>& consent);
  void show_device_code(const core::oauth::DeviceAuthorization& device) const;
  net::HttpResponse send_token_request(net::HttpRequest& request);
  void notify(const std::string& line) const;
  void debug(const std::string& line) const;  // options_.log; never a secret

  AuthorizerOptions options_;
  core::Url server_;
  // Lock order: the flow turn (waits_.take_flow), then mutex_. The turn
  // makes authorizations single-flight and is held while a person is waited
  // for, but nobody without a person to ask queues behind that; mutex_
  // guards the state below and is never held while waiting for a person
  // (refreshes, a network exchange, run under it).
  mutable std::mutex mutex_;
  // mutex_ as held by the thread holding the flow turn: only that thread
  // unlocks it to wait for a person (while_unlocked).
  std::unique_lock<std::mutex>* held_ = nullptr;
  std::thread::id held_by_;
  std::optional<Discovery> discovery_;
  std::optional<core::oauth::ClientRegistration> client_;
  std::optional<store::TokenKey> key_;
  bool restored_ = false;  // the store was consulted for an earlier authorization
  std::optional<core::oauth::TokenSet> tokens_;
  std::optional<std::string> requested_scope_;
  std::string refreshed_for_;  // the access token a refresh already replaced once
  int authorizations_ = 0;
  std::optional<Need> need_;             // cleared once an authorization (or adopting one) succeeds
  std::atomic<int> refreshing_{0};       // refreshes under way; read without the state lock
  std::unique_ptr<DpopKey> dpop_;        // set when the authorization server and the resource both take DPoP
  bool bearer_only_ = false;             // the resource refused a DPoP-bound token: never DPoP again
  std::optional<std::string> as_nonce_;  // DPoP-Nonce of the authorization server
  std::optional<std::string> rs_nonce_;  // DPoP-Nonce of the MCP server
  detail::SystemRandom random_;
  detail::UserWaits waits_;  // every wait for a person goes through it, so cancel() ends it
};

}  // namespace mcpauth::auth

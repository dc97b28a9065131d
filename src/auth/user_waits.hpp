// Where an Authorizer waits for a person: a consent's await(), a pause
// between device-code polls, a pause while another process asks. All of them
// end at once on cancel() (the host's user went away), and waiting() says
// whether one is under way (the proxy answers pings itself meanwhile).
//
// It also takes turns at the flow: one authorization at a time. The turn is
// here, beside the waits, because whether to wait for it depends on them: a
// request with nobody to ask (the gateway's) does not queue behind an
// authorization that waits for a person, it is answered at once.
// Not installed.
//
// Threading: waits run on the authorizing thread, the one holding the flow
// turn (without the state lock); waiting(), cancel() and take_flow() are
// called from any other.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "mcpauth/auth/consent.hpp"

namespace mcpauth::auth::detail {

class UserWaits {
 public:
  // The consent's await(), reachable by cancel(). Throws Error(cancelled)
  // once cancel() was called (also before the consent began).
  core::oauth::FormFields await(ConsentSession& consent, const ConsentPrompt& prompt);
  // Sleeps `duration`; throws Error(cancelled) when cancel() comes first.
  void pause(std::chrono::milliseconds duration);
  // Throws Error(cancelled) once cancel() was called.
  void refuse_if_cancelled() const;

  bool waiting() const;
  void cancel();

  // Takes the flow turn, waiting for the authorization under way. With
  // `give_way`, returns false instead once that authorization waits for a
  // person (also when it begins to while this one waits for the turn).
  bool take_flow(bool give_way);
  void release_flow();

 private:
  void begin_wait_locked();

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // cancel(), a wait begun, the turn released
  bool cancelled_ = false;
  bool flow_taken_ = false;
  int waiting_ = 0;
  ConsentSession* consent_ = nullptr;  // the one awaited now
};

// The flow turn of one scope, released when it ends; false when
// take_flow() gave way.
class FlowTurn {
 public:
  FlowTurn(UserWaits& waits, bool give_way) : waits_(waits), taken_(waits.take_flow(give_way)) {}
  ~FlowTurn() {
    if (taken_) waits_.release_flow();
  }
  FlowTurn(const FlowTurn&) = delete;
  FlowTurn& operator=(const FlowTurn&) = delete;
  explicit operator bool() const { return taken_; }

 private:
  UserWaits& waits_;
  bool taken_;
};

}  // namespace mcpauth::auth::detail

// Where an Authorizer waits for a person: a consent's await(), a pause
// between device-code polls, a pause while another process asks. All of them
// end at once on cancel() (the host's user went away), and waiting() says
// whether one is under way (the proxy answers pings itself meanwhile).
// Not installed.
//
// Threading: waits run on the authorizing thread (without the state lock);
// waiting() and cancel() are called from any other.
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

 private:
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool cancelled_ = false;
  int waiting_ = 0;
  ConsentSession* consent_ = nullptr;  // the one awaited now
};

}  // namespace mcpauth::auth::detail

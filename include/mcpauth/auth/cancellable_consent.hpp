// A ConsentHandler that its host can end: it wraps another handler, knows
// whether a consent is waiting for the user right now, and cancels every
// consent at once (the ones waiting and any begun later) when the host's user
// has gone away. The proxy uses it to answer its host's pings itself while
// the user is being asked, and to end at the end of its input instead of
// waiting out the consent timeout.
//
// Threading: every member may be called from any thread, also while a
// consent of this handler is waiting on another.
#pragma once

#include <memory>
#include <string>

#include "mcpauth/auth/consent.hpp"

namespace mcpauth::auth {

class CancellableConsent final : public ConsentHandler {
 public:
  explicit CancellableConsent(std::shared_ptr<ConsentHandler> inner);
  ~CancellableConsent() override;
  CancellableConsent(const CancellableConsent&) = delete;
  CancellableConsent& operator=(const CancellableConsent&) = delete;

  // Throw Error(cancelled) once cancel_all() was called.
  std::unique_ptr<ConsentSession> begin(const std::string& issuer) override;
  std::unique_ptr<ConsentSession> begin_preferring(const std::string& issuer,
                                                   const std::string& preferred_redirect_uri) override;

  // Whether a consent is waiting for the user now (inside await()).
  bool waiting() const;
  // Cancels every consent in progress (ConsentSession::cancel) and refuses
  // any later one with Error(cancelled). Idempotent.
  void cancel_all();

 private:
  class Session;
  struct Shared;  // what the sessions share with the handler (they may outlive it)
  std::unique_ptr<ConsentSession> wrap(std::unique_ptr<ConsentSession> inner);
  std::shared_ptr<ConsentHandler> inner_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace mcpauth::auth

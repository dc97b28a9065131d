// The sessions' remote requests while the gateway stops. Closing a Bridge
// tells the server the session is over (a DELETE of up to 5 s); with
// thousands of sessions and a server that does not answer, SIGTERM would
// wait for every one. Past the stop's deadline, close() ends the requests
// under way through the guarded clients and refuses new ones, so each
// Bridge closes without them (the DELETE is a courtesy: the server expires
// the session on its own).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "mcpauth/net/http.hpp"

namespace mcpauth::gateway {

class StopGate {
 public:
  StopGate();
  // `inner`, as long as the gate is open. A request given a CancelToken of
  // its caller's keeps it (the caller decides when it ends); any other is
  // cancelled by close().
  std::shared_ptr<net::HttpClient> guard(std::shared_ptr<net::HttpClient> inner) const;
  // Cancels what is under way through the guarded clients and refuses (with
  // ErrorCode::cancelled) what comes after. Idempotent; any thread.
  void close();
  // Runs `work` on this thread; if it has not returned after `deadline`,
  // closes the gate (from another thread) so that it can.
  void run_with_deadline(std::chrono::milliseconds deadline, const std::function<void()>& work);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mcpauth::gateway

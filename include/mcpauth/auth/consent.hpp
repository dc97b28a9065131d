// How the user says yes. The Authorizer never knows which handler it has:
// the CLI's loopback browser flow, a paste flow, the gateway's web callback,
// or a test's headless agent all implement ConsentHandler.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::auth {

// What the user is asked to approve; shown before the browser opens.
struct ConsentPrompt {
  std::string authorization_url;  // validated: https, or http on loopback
  std::string issuer;             // the authorization server
  std::string server_url;         // the MCP server the token is for
  std::string state;              // only a redirect carrying this state ends the consent
  std::chrono::milliseconds timeout{300'000};
};

// One consent in progress. It owns whatever receives the redirect (a
// loopback listener, ...) and releases it when destroyed.
class ConsentSession {
 public:
  virtual ~ConsentSession() = default;
  // The redirect URI the authorization request must carry.
  virtual std::string redirect_uri() const = 0;
  // Shows the prompt, waits for the redirect, and returns its parameters
  // (code, state, iss, or error). Throws Error(consent_timeout | cancelled).
  virtual core::oauth::FormFields await(const ConsentPrompt& prompt) = 0;
  // Ends the consent from another thread: an await() waiting now, or called
  // later, throws Error(cancelled) at once. For a host whose user went away
  // (the proxy's input ended), so nothing waits out the consent timeout.
  // Called from any thread while the session lives. Default: not supported
  // (await() then ends by its own timeout).
  virtual void cancel() {}
  // How the authorization ended, once await() has returned: the code
  // exchanged and the tokens stored (true), or not (false). A session whose
  // browser is still waiting for its page shows the outcome now (the
  // loopback consent: a page, or the host's success URL only when
  // authorized). Called at most once, on the authorizing thread; must not
  // throw. Default: nothing to show.
  virtual void finished(bool authorized) { (void)authorized; }
};

class ConsentHandler {
 public:
  virtual ~ConsentHandler() = default;
  // Prepares a consent for an authorization server; `issuer` lets a handler
  // give each server its own callback path (RFC 8252 §8.10 mix-up defence).
  virtual std::unique_ptr<ConsentSession> begin(const std::string& issuer) = 0;
  // The same, receiving the redirect at `preferred_redirect_uri` (the one a
  // stored client registration names) when this handler can, so that one
  // registration serves every authorization; else at a redirect URI of its
  // own choosing (the caller then registers that one). Default: begin(issuer).
  virtual std::unique_ptr<ConsentSession> begin_preferring(const std::string& issuer,
                                                           const std::string& preferred_redirect_uri) {
    (void)preferred_redirect_uri;
    return begin(issuer);
  }
};

}  // namespace mcpauth::auth

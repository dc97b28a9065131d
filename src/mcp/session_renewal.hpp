// What the specification asks of a client whose server forgot its session
// (HTTP 404 on a known Mcp-Session-Id): start a new session with a new
// initialize, then send the message again. Session (`tools`, `call`, the
// library) and Bridge (the proxy, the gateway) share this one mechanism;
// each says how it opens and initializes a new transport.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "mcpauth/error.hpp"
#include "mcpauth/mcp/transport.hpp"

namespace mcpauth::mcp::detail {

using TransportPtr = std::shared_ptr<Transport>;

// Whether `e`, failing a message of `method`, means the server forgot the
// session. Never for initialize itself: a new session that fails is a failure.
bool server_forgot_session(const Error& e, std::string_view method);

class SessionRenewal {
 public:
  // `current`: the transport in use now. `start_new(failed)`: closes
  // `failed`, opens a transport of the same kind, initializes it and
  // returns it (the caller's own handshake).
  SessionRenewal(std::function<TransportPtr()> current, std::function<TransportPtr(const TransportPtr&)> start_new);

  // Runs attempt(transport); when the server forgot the session, renews it
  // and runs attempt once more, on the new transport.
  void send(const TransportPtr& transport, std::string_view method,
            const std::function<void(const TransportPtr&)>& attempt);

  // A new session in place of `failed`: one for all the callers that found
  // the same one gone (a caller that comes later gets the replacement).
  TransportPtr renew(const TransportPtr& failed);

 private:
  std::function<TransportPtr()> current_;
  std::function<TransportPtr(const TransportPtr&)> start_new_;
  std::mutex mutex_;
};

}  // namespace mcpauth::mcp::detail

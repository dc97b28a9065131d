// The HTTP side of LoopbackConsent: a listener on 127.0.0.1 (and ::1 on the
// same port when the machine has IPv6 loopback) that answers GET requests for
// one path, on Boost.Beast/Asio with one I/O thread. Each connection gets one
// request, read within a deadline and bounded in size, and one answer, then
// it closes. What the answer is, the owner decides, at once or later (the
// browser that brought the code back waits for the token exchange's outcome).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::auth::detail {

struct CallbackPage {
  int status = 200;
  std::string html;
  bool no_store = false;  // Cache-Control: no-store
  std::string location;   // a Location header (with a 3xx status), when not empty
  // Not the answer yet: the owner answers through the DeferredReply it was
  // given. This page is the answer only when it has not done so within
  // kHeldPageLimit (a browser must not wait forever for a stuck exchange).
  bool held = false;
};

inline constexpr auto kHeldPageLimit = std::chrono::seconds(60);

// Answers a held callback, once, from any thread. After the listener is
// gone, or once the connection was answered or closed, it does nothing.
using DeferredReply = std::function<void(const CallbackPage&)>;

// Called on the I/O thread with the query parameters of a GET for the path,
// and the way to answer it later when the page returned is `held`.
using CallbackHandler = std::function<CallbackPage(core::oauth::FormFields, DeferredReply)>;

class LoopbackListener {
 public:
  LoopbackListener(std::string path, CallbackHandler on_callback);
  // Stops listening, closes every connection and joins the I/O thread: the
  // handler is not called after this returns.
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  // Binds 127.0.0.1:port (0: any free port) and starts serving; false when
  // the port cannot be had (taken), so the caller may try another. Once.
  bool listen(int port);
  int port() const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace mcpauth::auth::detail

// The HTTP side of LoopbackConsent: a listener on 127.0.0.1 (and ::1 on the
// same port when the machine has IPv6 loopback) that answers GET requests for
// one path, on Boost.Beast/Asio with one I/O thread. Each connection gets one
// request, read within a deadline and bounded in size, and one answer, then
// it closes. What the answer is, the owner decides.
#pragma once

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
};

// Called on the I/O thread with the query parameters of a GET for the path.
using CallbackHandler = std::function<CallbackPage(core::oauth::FormFields)>;

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

// The asynchronous side of the HTTP seam: transfers that run on an event
// loop and report through callbacks, so many long-lived streams (a
// gateway's remote event streams) cost no thread each. CurlMultiLoop is the
// libcurl implementation; mcp's AuthorizingAsyncHttpClient adds credentials.
//
// Threading: start(), after(), run_blocking() and AsyncOperation::cancel()
// may be called from any thread, including the loop's own (from inside a
// callback). A handler's callbacks and after()'s tasks run on the loop
// thread, one at a time, and must not block: what may block (a token
// refresh, a user's handler that waits) goes to run_blocking().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "mcpauth/error.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::net {

// Receives one transfer's response as it arrives, like HttpStreamHandler,
// and then its end, exactly once. Returning false from on_response_start or
// on_body ends the transfer early without an error.
class AsyncStreamHandler : public HttpStreamHandler {
 public:
  // The transfer is over: `error` is null when it completed (or a callback
  // ended it early), else why not: what send() would have thrown,
  // Error(cancelled) after cancel(), or what a callback threw (an exception
  // that is not an mcpauth::Error becomes Error(protocol)).
  virtual void on_done(const Error* error) = 0;
};

// A started transfer or timer.
class AsyncOperation {
 public:
  virtual ~AsyncOperation() = default;
  // Ends it from any thread: a transfer still running ends with
  // on_done(Error(cancelled)) soon after, on the loop thread; a timer that
  // has not fired never fires. Idempotent; too late is harmless.
  virtual void cancel() = 0;
};

class AsyncHttpClient {
 public:
  virtual ~AsyncHttpClient() = default;

  // Starts the request; `handler` is kept until its on_done has run.
  virtual std::shared_ptr<AsyncOperation> start(HttpRequest request, std::shared_ptr<AsyncStreamHandler> handler) = 0;

  // Runs `task` on the loop thread once `delay` has passed (reconnect backoff).
  virtual std::shared_ptr<AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task) = 0;

  // Runs `task` on a thread that may block (a small bounded pool, never the
  // loop thread), in the order given when the pool has one thread free.
  virtual void run_blocking(std::function<void()> task) = 0;
};

}  // namespace mcpauth::net

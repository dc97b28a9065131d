// An AsyncHttpClient on libcurl's multi interface, driven by
// curl_multi_socket_action from one thread's event loop: the loop waits for
// exactly the sockets libcurl asks for and for its timeout, so a wake-up
// costs the sockets that are ready, not every transfer that is open (a
// gateway holds one remote stream per session). Other threads start and
// cancel work by queueing a command for the loop. The easy handles are set
// up exactly as CurlHttpClient sets up its own (timeouts, size caps, address
// rules, redirects, TLS, headers), and idle ones keep their connection
// caches. Blocking work handed to run_blocking() goes to a small pool of
// threads beside the loop.
//
// Threading: see async_http.hpp. The loop thread starts with the object and
// stops in its destructor, which ends every transfer still running (its
// handler gets on_done(Error(cancelled)) on the loop thread before the
// destructor returns), drops timers not yet fired, then joins the pool after
// the tasks it already holds (a transfer they start then ends at once with
// Error(cancelled)). Run on the loop thread (the last owner let go in a
// callback), it only stops the loop, which ends after that callback. Each
// transfer's idle, headers and drain bounds are a deadline of its own, looked
// at when it comes. The state lives in Impl (curl_multi_loop.cpp), so this
// header commits to no layout and names no event library.
#pragma once

#include <cstddef>
#include <memory>

#include "mcpauth/net/async_http.hpp"
#include "mcpauth/net/curl_http_client.hpp"

namespace mcpauth::net {

namespace detail {
class CurlLoopOnContext;
}

struct CurlMultiLoopOptions {
  CurlHttpClientOptions http = CurlHttpClientOptions::from_environment();
  // Threads of the run_blocking() pool (started as tasks arrive).
  std::size_t blocking_threads = 4;
};

class CurlMultiLoop final : public AsyncHttpClient {
 public:
  explicit CurlMultiLoop(CurlMultiLoopOptions options = {});
  ~CurlMultiLoop() override;
  CurlMultiLoop(const CurlMultiLoop&) = delete;
  CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

  std::shared_ptr<AsyncOperation> start(HttpRequest request, std::shared_ptr<AsyncStreamHandler> handler) override;
  std::shared_ptr<AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task) override;
  void run_blocking(std::function<void()> task) override;

  // Transfers running now (started and not yet done), for tests and the dashboard.
  std::size_t active_transfers() const;

 private:
  class Impl;
  friend class detail::CurlLoopOnContext;  // the same loop on an event loop its owner runs
  explicit CurlMultiLoop(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpauth::net

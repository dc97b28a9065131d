// An AsyncHttpClient made of a blocking HttpClient and one thread of its
// own: transfers, timers and blocking tasks run on that thread one after the
// other. It lets a transport given no event loop (the command, the proxy, a
// library Session) run the same stream state machine as one given a
// CurlMultiLoop, on a thread per stream as before. Internal to mcp/.
//
// Threading: any thread may start, time or cancel; the thread starts with
// the first of them. shutdown() (and the destructor) cancels what runs,
// drops what waits and joins the thread; run on that thread itself (the last
// owner let go there), it detaches it instead.
#pragma once

#include <memory>

#include "mcpauth/net/async_http.hpp"

namespace mcpauth::mcp::detail {

class ThreadAsyncClient final : public net::AsyncHttpClient {
 public:
  explicit ThreadAsyncClient(std::shared_ptr<net::HttpClient> http);
  ~ThreadAsyncClient() override;
  ThreadAsyncClient(const ThreadAsyncClient&) = delete;
  ThreadAsyncClient& operator=(const ThreadAsyncClient&) = delete;

  std::shared_ptr<net::AsyncOperation> start(net::HttpRequest request,
                                             std::shared_ptr<net::AsyncStreamHandler> handler) override;
  std::shared_ptr<net::AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task) override;
  void run_blocking(std::function<void()> task) override;

  // Cancels what runs, drops what waits and joins the thread (the
  // destructor does it too). Idempotent.
  void shutdown();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpauth::mcp::detail

#include "remote_loops.hpp"

#include <utility>

#include "mcpauth/net/curl_multi_loop.hpp"
#include "mcpauth_internal/net/curl_loop_on_context.hpp"

namespace mcpauth::gateway {
namespace {

// This thread's loop, while it is an I/O thread whose companion has not
// halted; null elsewhere.
thread_local net::AsyncHttpClient* this_thread_loop = nullptr;

// Made on first use (a process that never bridges a session starts none);
// it outlives every bridge, which hold it too.
const std::shared_ptr<net::AsyncHttpClient>& shared_loop() {
  static const std::shared_ptr<net::AsyncHttpClient> loop = std::make_shared<net::CurlMultiLoop>();
  return loop;
}

class ThreadRoutedLoop final : public net::AsyncHttpClient {
 public:
  std::shared_ptr<net::AsyncOperation> start(net::HttpRequest request,
                                             std::shared_ptr<net::AsyncStreamHandler> handler) override {
    return here().start(std::move(request), std::move(handler));
  }
  std::shared_ptr<net::AsyncOperation> after(std::chrono::milliseconds delay, std::function<void()> task) override {
    return here().after(delay, std::move(task));
  }
  // One bounded pool for the process, whichever thread asks.
  void run_blocking(std::function<void()> task) override { shared_loop()->run_blocking(std::move(task)); }

 private:
  static net::AsyncHttpClient& here() { return this_thread_loop ? *this_thread_loop : *shared_loop(); }
};

class IoThreadLoop final : public http::ThreadCompanion {
 public:
  explicit IoThreadLoop(boost::asio::io_context& io) : loop_(io) { this_thread_loop = &loop_.client(); }
  void halt(std::function<void()> halted) override {
    this_thread_loop = nullptr;  // what this thread starts from now on goes to the shared loop
    loop_.halt(std::move(halted));
  }

 private:
  net::detail::CurlLoopOnContext loop_;
};

}  // namespace

std::shared_ptr<net::AsyncHttpClient> remote_event_loop() {
  static const std::shared_ptr<net::AsyncHttpClient> routed = std::make_shared<ThreadRoutedLoop>();
  return routed;
}

http::ThreadCompanionFactory io_thread_remote_loop() {
  return [](boost::asio::io_context& io) -> std::unique_ptr<http::ThreadCompanion> {
    return std::make_unique<IoThreadLoop>(io);
  };
}

}  // namespace mcpauth::gateway

#include "stdio_proxy.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/core/printable.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "worker_pool.hpp"

namespace mcpauth::app {
namespace {

namespace rpc = core::jsonrpc;

constexpr std::size_t kMaxLineBytes = 64u << 20;
constexpr std::string_view kKeepAlivePrefix = "mcpauth-proxy-keepalive-";

mcp::BridgeOptions bridge_options(const Connection& connection, const ProxyOptions& options) {
  mcp::BridgeOptions bridge;
  bridge.session = connection.options;
  bridge.retry_budget = options.retry_budget;
  bridge.allowed_tools = options.allowed_tools;
  bridge.ignored_tools = options.ignored_tools;
  if (options.log) {
    bridge.log = [log = options.log](const std::string& line) { log("mcpauth proxy: " + core::printable(line)); };
  }
  // The host shows its user the error's message: the library's words, then the command's hint.
  bridge.error_answer = [hints = options.hints](const Error& e, rpc::ErrorResponse& answer) {
    answer.message = "mcpauth: " + error_with_hint(e, hints);
  };
  return bridge;
}

class StdioProxy {
 public:
  StdioProxy(const Connection& connection, const ProxyOptions& options, std::ostream& out)
      : out_(out),
        authorizer_(connection.authorizer),
        log_(options.log),
        ping_interval_(options.ping_interval),
        bridge_(bridge_options(connection, options), [this](rpc::Message&& m) { from_bridge(std::move(m)); }) {
    if (ping_interval_.count() > 0) pinger_ = std::thread([this] { keep_alive(); });
  }

  int run(std::istream& in) {
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::vector<rpc::Message> messages;
      try {
        messages = rpc::parse(line, {kMaxLineBytes, 128});
      } catch (const Error&) {
        // Not echoed: the line may hold anything, secrets included.
        write(rpc::ErrorResponse{nullptr, rpc::kParseError, "mcpauth proxy: a line on stdin is not a JSON-RPC message",
                                 nullptr});
        continue;
      }
      for (auto& message : messages) dispatch(std::move(message));
    }
    // End of input: the host and its user are gone, so a wait for them (a
    // consent, a device approval) ends now, its request answered
    // "cancelled", instead of at its timeout; answers in flight arrive, then
    // the remote session ends.
    if (authorizer_) authorizer_->cancel();
    {
      std::unique_lock lock(dispatch_mutex_);
      handshake_done_.wait(lock, [this] { return !handshake_pending_ && queued_.empty(); });
    }
    workers_.join();
    stop_keep_alive();
    bridge_.close();
    return 0;
  }

  ~StdioProxy() { stop_keep_alive(); }

 private:
  void dispatch(rpc::Message message) {
    std::lock_guard lock(dispatch_mutex_);
    // While the server is being reached, or the user is being asked for
    // consent (first or mid-session: the server's answers wait for it), the
    // proxy answers pings itself: the host must not think it hung.
    if (handshake_pending_ || (authorizer_ && authorizer_->waiting_for_user())) {
      if (const auto* request = std::get_if<rpc::Request>(&message); request && request->method == "ping") {
        write(rpc::Response{request->id, rpc::Json::object()});
        return;
      }
    }
    if (handshake_pending_) {
      // The rest waits its turn.
      queued_.push_back(std::move(message));
      return;
    }
    dispatch_locked(std::move(message));
  }

  void dispatch_locked(rpc::Message message) {
    const auto* request = std::get_if<rpc::Request>(&message);
    if (!request) {
      bridge_.forward(message);  // notifications and the host's answers keep their order
      return;
    }
    if (request->method == "initialize" || !bridge_.connected()) {
      // The handshake goes before anything else; the reading thread stays free.
      handshake_pending_ = true;
      spawn([this, message = std::move(message)] {
        bridge_.forward(message);
        finish_handshake();
      });
      return;
    }
    // Other requests run concurrently: a long tool call does not hold up a ping.
    spawn([this, message = std::move(message)] { bridge_.forward(message); });
  }

  // Sends what arrived during the handshake, in order.
  void finish_handshake() {
    std::lock_guard lock(dispatch_mutex_);
    handshake_pending_ = false;
    while (!handshake_pending_ && !queued_.empty()) {
      rpc::Message next = std::move(queued_.front());
      queued_.pop_front();
      dispatch_locked(std::move(next));
    }
    handshake_done_.notify_all();
  }

  void spawn(std::function<void()> work) { workers_.submit(std::move(work)); }

  // The answers to the proxy's own pings stay here: the host never asked.
  void from_bridge(rpc::Message&& message) {
    if (rpc::is_response(message) && is_keep_alive_id(rpc::id_of(message))) {
      if (const auto* error = std::get_if<rpc::ErrorResponse>(&message); error && log_) {
        log_("mcpauth proxy: keep-alive ping failed: " + core::printable(error->message));
      }
      return;
    }
    write(message);
  }

  // One ping per interval once the host's handshake is through; the wait is
  // a condition variable, so the end of input stops it at once.
  void keep_alive() {
    std::uint64_t sequence = 0;
    std::unique_lock lock(ping_mutex_);
    while (!ping_stop_) {
      if (ping_wake_.wait_for(lock, ping_interval_, [this] { return ping_stop_; })) return;
      if (!handshake_through()) continue;
      lock.unlock();
      bridge_.forward(rpc::Request{keep_alive_id(++sequence), "ping", nullptr});
      lock.lock();
    }
  }

  bool handshake_through() {
    std::lock_guard lock(dispatch_mutex_);
    return bridge_.connected() && !handshake_pending_;
  }

  void stop_keep_alive() {
    {
      std::lock_guard lock(ping_mutex_);
      ping_stop_ = true;
    }
    ping_wake_.notify_all();
    if (pinger_.joinable()) pinger_.join();
  }

  void write(const rpc::Message& message) {
    const std::string line = rpc::serialize(message);
    std::lock_guard lock(out_mutex_);
    out_ << line << '\n' << std::flush;
  }

  std::ostream& out_;
  std::mutex out_mutex_;
  std::shared_ptr<auth::Authorizer> authorizer_;  // null without OAuth
  std::function<void(const std::string&)> log_;
  std::chrono::milliseconds ping_interval_;
  std::mutex ping_mutex_;  // guards ping_stop_
  std::condition_variable ping_wake_;
  bool ping_stop_ = false;
  mcp::Bridge bridge_;
  std::mutex dispatch_mutex_;  // guards what follows
  std::condition_variable handshake_done_;
  bool handshake_pending_ = false;
  std::deque<rpc::Message> queued_;  // arrived while the handshake was pending
  WorkerPool workers_;               // its threads end before the rest goes
  std::thread pinger_;               // keep_alive(); joined by run() or the destructor
};

}  // namespace

rpc::Id keep_alive_id(std::uint64_t sequence) {
  return rpc::Id(std::string(kKeepAlivePrefix) + std::to_string(sequence));
}

bool is_keep_alive_id(const rpc::Id& id) {
  return id.is_string() && id.get<std::string>().rfind(kKeepAlivePrefix, 0) == 0;
}

int run_stdio_proxy(Connection connection, const ProxyOptions& options, std::istream& in, std::ostream& out) {
  StdioProxy proxy(connection, options, out);
  return proxy.run(in);
}

}  // namespace mcpauth::app

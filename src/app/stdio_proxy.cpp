#include "stdio_proxy.hpp"

#include <atomic>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/mcp/bridge.hpp"

namespace mcpauth::app {
namespace {

namespace rpc = core::jsonrpc;

constexpr std::size_t kMaxLineBytes = 64u << 20;

mcp::BridgeOptions bridge_options(const Connection& connection, const ProxyOptions& options) {
  mcp::BridgeOptions bridge;
  bridge.session = connection.options;
  bridge.retry_budget = options.retry_budget;
  bridge.ignored_tools = options.ignored_tools;
  bridge.log = [](const std::string& line) { std::cerr << "mcpauth proxy: " << line << std::endl; };
  return bridge;
}

class StdioProxy {
 public:
  StdioProxy(const Connection& connection, const ProxyOptions& options, std::ostream& out)
      : out_(out), bridge_(bridge_options(connection, options), [this](rpc::Message&& m) { write(m); }) {}

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
    // End of input: let answers in flight arrive, then end the remote session.
    for (auto& worker : workers_) worker.thread.join();
    bridge_.close();
    return 0;
  }

 private:
  void dispatch(rpc::Message message) {
    const auto* request = std::get_if<rpc::Request>(&message);
    if (!request || request->method == "initialize" || !bridge_.connected()) {
      // The handshake runs before anything else (and while the user
      // consents); notifications and the host's answers keep their order.
      bridge_.forward(message);
      return;
    }
    // Other requests run concurrently: a long tool call does not hold up a ping.
    reap_workers();
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, done, message = std::move(message)] {
                          bridge_.forward(message);
                          done->store(true);
                        }),
                        done});
  }

  void reap_workers() {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void write(const rpc::Message& message) {
    const std::string line = rpc::serialize(message);
    std::lock_guard lock(out_mutex_);
    out_ << line << '\n' << std::flush;
  }

  std::ostream& out_;
  std::mutex out_mutex_;
  mcp::Bridge bridge_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_;
};

}  // namespace

int run_stdio_proxy(Connection connection, const ProxyOptions& options, std::istream& in, std::ostream& out) {
  StdioProxy proxy(connection, options, out);
  return proxy.run(in);
}

}  // namespace mcpauth::app
